/**
 * Whether the app can reach its service: offline when the tablet says it has no network, or when calls get no
 * answer from the service (the API reports each outcome; the live feed's drop asks). While the service is out of
 * reach, /health/live (open, no token, not rate limited) is asked with growing waits, and at once when the tablet
 * comes back online; the first answer ends the offline state, and the screens load again by themselves.
 */
import { probeDelay } from './logic/offline.js';

export interface ReachabilityDeps {
  /** True when the service answered the probe. */
  probe(): Promise<boolean>;
  /** navigator.onLine. */
  online(): boolean;
  random(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

export class Reachability {
  private unreachable = false;
  private started = false;
  private attempt = 0;
  private timer: unknown;
  private probing = false;
  private readonly listeners = new Set<() => void>();
  private readonly onOnline = () => {
    this.attempt = 0;
    this.notify();
    if (this.unreachable) void this.probe();
  };
  private readonly onOffline = () => {
    this.deps.clearTimeout(this.timer);
    this.timer = undefined;
    this.notify();
  };

  constructor(private readonly deps: ReachabilityDeps) {}

  /** Follows the tablet's online and offline events (once). */
  start(target: Pick<EventTarget, 'addEventListener'> = globalThis): void {
    if (this.started) return;
    this.started = true;
    target.addEventListener('online', this.onOnline);
    target.addEventListener('offline', this.onOffline);
  }

  get offline(): boolean {
    return !this.deps.online() || this.unreachable;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An outcome of a call: the service answered (`true`), or nothing came from it. */
  report(reachable: boolean): void {
    if (reachable) {
      if (!this.unreachable) return;
      this.unreachable = false;
      this.attempt = 0;
      this.deps.clearTimeout(this.timer);
      this.timer = undefined;
      this.notify();
      return;
    }
    if (this.unreachable) return;
    this.unreachable = true;
    this.notify();
    this.schedule();
  }

  /** Something suggests the service went away (the live feed dropped): ask it once. */
  check(): void {
    if (this.unreachable || !this.deps.online()) return;
    void this.probe();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  private schedule(): void {
    this.deps.clearTimeout(this.timer);
    // Without network there is nothing to ask; the online event asks at once.
    if (!this.deps.online()) return;
    this.timer = this.deps.setTimeout(() => void this.probe(), probeDelay(this.attempt++, this.deps.random()));
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    let answered = false;
    try {
      answered = await this.deps.probe();
    } catch {
      answered = false;
    } finally {
      this.probing = false;
    }
    if (answered) this.report(true);
    else if (!this.unreachable) this.report(false);
    else this.schedule();
  }
}

/** The app's one monitor (main.tsx starts it). */
export const reachability = new Reachability({
  probe: async () => {
    const response = await fetch('/health/live', { cache: 'no-store', headers: { accept: 'application/json' } });
    return response.ok;
  },
  online: () => typeof navigator === 'undefined' || navigator.onLine !== false,
  random: Math.random,
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
});
