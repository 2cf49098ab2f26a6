/**
 * Screens kept in their own chunk, fetched the first time one of them is opened (the bundle screens, the reports):
 * most tablets at the counter never need them. `lazyScreens` makes the hook that loads the chunk once (again after a
 * failed fetch, on Retry) and moves the focus to the screen's heading once it is there, as on any other screen;
 * `ChunkPending` is what shows meanwhile.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { ErrorNotice, Loading } from './components/notice.js';
import { useI18n } from './i18n.js';

export interface LazyChunk<T> {
  /** The chunk's exports, once loaded. */
  readonly screens: T | undefined;
  readonly failed: boolean;
  retry(): void;
}

/** The heading takes the focus unless something else already has it (it was not there when the route changed). */
function focusHeading(): void {
  requestAnimationFrame(() => {
    const active = document.activeElement;
    if (active && active !== document.body && active.id !== 'main') return;
    const heading = document.querySelector<HTMLElement>('#main h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  });
}

export function lazyScreens<T>(load: () => Promise<T>): () => LazyChunk<T> {
  let pending: Promise<T> | undefined;
  return function useLazyScreens(): LazyChunk<T> {
    const [screens, setScreens] = useState<T>();
    const [failed, setFailed] = useState(false);
    const [attempt, setAttempt] = useState(0);
    useEffect(() => {
      let current = true;
      setFailed(false);
      (pending ??= load()).then(
        (loaded) => {
          if (!current) return;
          setScreens(() => loaded);
          focusHeading();
        },
        () => {
          pending = undefined;
          if (current) setFailed(true);
        },
      );
      return () => {
        current = false;
      };
    }, [attempt]);
    return { screens, failed, retry: () => setAttempt((n) => n + 1) };
  };
}

/** While the chunk is on its way: loading, or what failed with Retry. */
export function ChunkPending({ chunk }: { chunk: LazyChunk<unknown> }) {
  const { t } = useI18n();
  if (chunk.failed) return <ErrorNotice error={new ApiError(0, 'NETWORK', 'the screen could not be loaded')} onRetry={chunk.retry} />;
  return <Loading label={t('common.loading')} />;
}
