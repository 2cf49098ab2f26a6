/**
 * A SIGTERM can arrive at any point of a replica's life: while it starts, while it restores its tasks, while it
 * runs. Each time `stop()` must end the runtime for good: the state goes to `stopped` and never back to
 * `running`, `whenStopped()` resolves, and nothing keeps processing.
 */
import { rm } from 'node:fs/promises';
import t from 'tap';
import { changelogTopic } from '../../state/store-definition.js';
import { loadConfig } from '../../runtime/config.js';
import { type RuntimeState, StreamsRuntime } from '../../runtime/streams-runtime.js';
import { counterTopology } from '../fixtures/counter-topology.js';
import { BROKERS, createTopics, requireKafka, testClient, uniqueName } from './harness.js';

/** Resolves with `what`'s outcome, or with 'hung' when it has not settled after `ms`: a hang fails the test instead of the run. */
function settles<T>(what: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ms)));
  return Promise.race([what, hung]).finally(() => clearTimeout(timer));
}

for (const moment of ['starting', 'restoring', 'running'] as const) {
  t.test(`a stop while the runtime is ${moment} ends it for good`, async (t) => {
    if (!(await requireKafka(t))) return;
    const client = testClient();
    const app = uniqueName(`stop-${moment}`);
    const [input, output] = [`${app}-in`, `${app}-out`];
    await createTopics(client, [input, output], 2);
    const stateDir = `.state/test-${app}`;
    t.teardown(async () => {
      const admin = client.admin();
      await settles(
        admin.deleteTopics([input, output, changelogTopic(app, 'counts')]).catch(() => undefined),
        10_000,
      );
      await settles(admin.close(), 10_000);
      await rm(stateDir, { recursive: true, force: true });
    });
    const runtime = new StreamsRuntime(
      counterTopology(input, output),
      loadConfig({ applicationId: app, bootstrapServers: BROKERS, stateDir, sessionTimeoutMs: 6_000 }),
      client,
    );

    const states: RuntimeState[] = [];
    let stopping: Promise<void> | undefined;
    runtime.onStateChange((state) => {
      states.push(state);
      // On the next turn of the event loop, as a signal handler runs: the runtime is inside that state's work.
      // 'running' once its tasks are restored (start() reports running before the first assignment).
      const reached = state === moment && (moment !== 'running' || states.includes('restoring'));
      if (reached && !stopping)
        setImmediate(() => {
          stopping ??= runtime.stop();
        });
    });
    // start() itself must settle too, whenever the stop lands in it: a hang here would otherwise hold the whole run.
    const started = await settles(
      runtime.start().then(
        () => 'started',
        (error: Error) => `refused: ${error.message}`,
      ),
      60_000,
    );
    t.not(started, 'hung', `start() settles (${String(started)}; states: ${states.join(' → ')})`);
    const stopped = await settles(
      (async () => {
        while (!stopping) await new Promise((resolve) => setTimeout(resolve, 50));
        await stopping;
        await runtime.whenStopped();
      })(),
      60_000,
    );

    t.not(stopped, 'hung', `stop() and whenStopped() settle (states: ${states.join(' → ')})`);
    t.equal(runtime.currentState, 'stopped', 'the runtime ends stopped');
    const afterStop = states.slice(states.indexOf('stopping'));
    t.same(
      afterStop.filter((state) => state !== 'stopping' && state !== 'stopped'),
      [],
      `nothing after the stop brings it back (${afterStop.join(' → ')})`,
    );
    if (stopped === 'hung') await runtime.stop().catch(() => undefined);
  });
}
