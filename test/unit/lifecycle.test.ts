import t from 'tap';
import { componentLogger } from '../../observability/logger.js';
import { IllegalTransitionError, Lifecycle, type LifecycleState, type StateChange, TRANSITIONS } from '../../runtime/lifecycle.js';

/** A lifecycle whose transitions (as the listener saw them) and log lines are recorded. */
function recorded(options: { close?: () => Promise<void>; restartable?: boolean } = {}) {
  const lines: string[] = [];
  const changes: StateChange[] = [];
  const life = new Lifecycle({ component: 'test', log: componentLogger('test', (line) => lines.push(line)), ...options });
  life.onChange((state, change) => {
    if (state !== change.to) throw new Error('listener got a state other than the change’s');
    changes.push(change);
  });
  const path = () => changes.map((change) => change.to);
  return { life, lines, changes, path };
}

/** A promise to release by hand. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('the table: every state but stopped can be stopped, only failed and the shutdown states cannot run', async (t) => {
  for (const state of Object.keys(TRANSITIONS) as LifecycleState[]) {
    if (state === 'stopping' || state === 'stopped') continue;
    t.ok(TRANSITIONS[state].includes('stopping'), `${state} → stopping`);
  }
  t.same(TRANSITIONS.stopping, ['stopped']);
  t.same(TRANSITIONS.stopped, []);
  t.same(TRANSITIONS.failed, ['stopping']);
});

t.test('a component moves through its life in order; the listener and the log see each transition once', async (t) => {
  const { life, lines, changes, path } = recorded();
  const loopEnded = gate();
  await life.start(async () => async () => {
    while (!life.stopRequested) await life.pause(10_000);
    loopEnded.open();
  });
  t.equal(life.state, 'running');
  t.ok(life.moveTo('restoring', 'partitions 0, 1 assigned'));
  t.notOk(life.moveTo('restoring'), 'already there: no transition');
  t.ok(life.moveTo('running'));
  t.ok(life.moveTo('retrying', 'broker down'));
  t.ok(life.moveTo('running', 'broker back'));
  await life.stop();
  await loopEnded.promise;
  t.same(path(), ['starting', 'running', 'restoring', 'running', 'retrying', 'running', 'stopping', 'stopped']);
  t.same(
    changes.map(({ from, to }) => `${from} → ${to}`),
    [
      'created → starting',
      'starting → running',
      'running → restoring',
      'restoring → running',
      'running → retrying',
      'retrying → running',
      'running → stopping',
      'stopping → stopped',
    ],
  );
  t.same(changes[2], { from: 'running', to: 'restoring', reason: 'partitions 0, 1 assigned' }, 'with the reason');
  t.same(
    lines,
    [
      'created → starting',
      'starting → running (started)',
      'running → restoring (partitions 0, 1 assigned)',
      'restoring → running',
      'running → retrying (broker down)',
      'retrying → running (broker back)',
      'running → stopping (stop asked for)',
      'stopping → stopped',
    ],
    'one log line per transition: from, to and why',
  );
  await t.resolves(life.whenStopped());
});

t.test('illegal transitions throw and say which', async (t) => {
  const { life, path } = recorded();
  t.throws(() => life.moveTo('running'), IllegalTransitionError, 'created → running');
  t.throws(() => life.moveTo('restoring'), /test: invalid state transition created → restoring/);
  await life.start(async () => undefined);
  t.ok(life.moveTo('retrying'));
  t.throws(() => life.moveTo('restoring'), /retrying → restoring/);
  await t.rejects(
    life.start(async () => undefined),
    /running → starting|retrying → starting/,
    'a second start',
  );
  t.same(path(), ['starting', 'running', 'retrying'], 'a refused move changes nothing');
  await life.stop();
});

t.test('a stop during the start abandons it: the steps after it never run, start resolves, nothing runs', async (t) => {
  const closed: string[] = [];
  const { life, path } = recorded({ close: async () => void closed.push('closed') });
  const joining = gate();
  const ran: string[] = [];
  let loopRan = false;
  const starting = life.start(async (steps) => {
    await steps.step(async () => void ran.push('topics'));
    await steps.step(async () => {
      ran.push('join');
      await joining.promise; // the stop arrives while this is in flight
    });
    await steps.step(async () => void ran.push('after join'));
    return async () => void (loopRan = true);
  });
  await tick();
  const stopping = life.stop();
  t.equal(life.state, 'stopping', 'stopping at once');
  let stopDone = false;
  void stopping.then(() => (stopDone = true));
  await tick();
  t.notOk(stopDone, 'the stop waits for the start in flight');
  joining.open();
  await t.resolves(starting, 'start resolves');
  await stopping;
  t.same(ran, ['topics', 'join'], 'nothing after the join in flight');
  t.notOk(loopRan, 'no loop');
  t.same(closed, ['closed'], 'what the start opened is closed, once');
  t.same(path(), ['starting', 'stopping', 'stopped'], 'never running');
});

t.test('a stop also ends a start that finished its steps meanwhile: no running, no loop', async (t) => {
  const { life, path } = recorded();
  const joining = gate();
  let loopRan = false;
  const starting = life.start(async (steps) => {
    await steps.step(() => joining.promise);
    return async () => void (loopRan = true);
  });
  const stopping = life.stop();
  joining.open();
  await starting;
  await stopping;
  t.notOk(loopRan);
  t.same(path(), ['starting', 'stopping', 'stopped']);
});

t.test('work in flight when the stop came cannot move the component any more', async (t) => {
  const { life, path } = recorded();
  const restore = gate();
  let lateMove: boolean | undefined;
  await life.start(async () => async () => {
    life.moveTo('restoring');
    await restore.promise;
    lateMove = life.moveTo('running', 'restored'); // the restore ends after the stop
  });
  const stopping = life.stop();
  restore.open();
  await stopping;
  t.equal(lateMove, false, 'the late move is ignored');
  t.equal(life.state, 'stopped');
  t.same(path(), ['starting', 'running', 'restoring', 'stopping', 'stopped']);
});

t.test('stop is idempotent: one close, every call resolves once stopped', async (t) => {
  let closes = 0;
  const { life, path } = recorded({ close: async () => void closes++ });
  await life.start(async () => undefined);
  const first = life.stop();
  const second = life.stop();
  t.equal(first, second, 'the same stop');
  await Promise.all([first, second, life.stop()]);
  await life.stop();
  t.equal(closes, 1);
  t.same(path(), ['starting', 'running', 'stopping', 'stopped']);
});

t.test('stopped before it started: nothing to close, and a later start does nothing', async (t) => {
  let closes = 0;
  const { life, path } = recorded({ close: async () => void closes++ });
  await life.stop();
  let ran = false;
  await life.start(async () => void (ran = true));
  t.notOk(ran, 'the stop came first: the start resolves without running its steps');
  t.equal(closes, 0);
  t.same(path(), ['stopping', 'stopped']);
});

t.test('waiting for topics: in waiting-for-topics while one is missing, and a stop ends the wait at once', async (t) => {
  const { life, path, lines } = recorded();
  let looks = 0;
  const admin = {
    partitionCounts: async (topics: readonly string[]) => (
      looks++,
      new Map(topics.filter((topic) => topic === 'a').map((topic) => [topic, 3]))
    ),
  };
  let created = false;
  const starting = life.start(async (steps) => {
    await steps.waitForTopics(admin, ['a', 'b'], { why: 'the pipeline creates them' });
    created = true;
  });
  while (life.state !== 'waiting-for-topics') await tick();
  const before = Date.now();
  await life.stop();
  await t.resolves(starting);
  t.ok(Date.now() - before < 500, 'the 1 s wait between looks is cut short');
  t.notOk(created, 'nothing after the wait');
  t.equal(looks, 1);
  t.same(path(), ['starting', 'waiting-for-topics', 'stopping', 'stopped']);
  t.ok(lines.includes('starting → waiting-for-topics (topics missing: b; the pipeline creates them)'));
});

t.test('waiting for topics: returns their partition counts once they exist; onMissing may create them', async (t) => {
  const { life, path } = recorded();
  const existing = new Map([['a', 2]]);
  const admin = {
    partitionCounts: async (topics: readonly string[]) =>
      new Map(topics.flatMap((topic) => (existing.has(topic) ? [[topic, existing.get(topic)!] as const] : []))),
  };
  let counts: Map<string, number> | undefined;
  const starting = life.start(async (steps) => {
    counts = await steps.waitForTopics(admin, ['a', 'b'], { intervalMs: 20 });
    counts = await steps.waitForTopics(admin, ['a', 'c'], {
      onMissing: async (missing, seen) => {
        for (const topic of missing) existing.set(topic, seen.get('a')!);
        return true;
      },
    });
  });
  while (life.state !== 'waiting-for-topics') await tick();
  existing.set('b', 2);
  await starting;
  t.same(
    [...counts!],
    [
      ['a', 2],
      ['c', 2],
    ],
  );
  t.same(path(), ['starting', 'waiting-for-topics', 'starting', 'running'], 'onMissing that created them: no waiting');
  await life.stop();
});

t.test('waiting for topics with a timeout returns what exists', async (t) => {
  const { life } = recorded();
  const admin = { partitionCounts: async () => new Map([['a', 1]]) };
  let counts: Map<string, number> | undefined;
  await life.start(async (steps) => void (counts = await steps.waitForTopics(admin, ['a', 'b'], { intervalMs: 10, timeoutMs: 50 })));
  t.same([...counts!], [['a', 1]]);
  t.equal(life.state, 'running');
  await life.stop();
});

t.test('a failed start fails the component: start and whenStopped reject, a stop still closes', async (t) => {
  let closes = 0;
  const { life, path, lines } = recorded({ close: async () => void closes++ });
  const stopped = life.whenStopped();
  await t.rejects(
    life.start(async () => Promise.reject(new Error('source topics do not exist'))),
    /source topics do not exist/,
  );
  t.equal(life.state, 'failed');
  await t.rejects(stopped, /source topics do not exist/);
  t.equal(life.failure?.message, 'source topics do not exist');
  t.ok(lines.includes('starting → failed (start failed: source topics do not exist)'));
  await life.stop();
  t.equal(closes, 1);
  t.same(path(), ['starting', 'failed', 'stopping', 'stopped']);
});

t.test('a loop that throws fails the component; whenStopped rejects with its error', async (t) => {
  const { life, path } = recorded();
  await life.start(async () => async () => {
    await tick();
    throw new Error('a topology error');
  });
  await t.rejects(life.whenStopped(), /a topology error/);
  t.equal(life.state, 'failed');
  await life.stop();
  t.same(path(), ['starting', 'running', 'failed', 'stopping', 'stopped']);
});

t.test('a restartable lifecycle starts again after a stop, with a fresh signal', async (t) => {
  const { life, path } = recorded({ restartable: true });
  let runs = 0;
  const steps = async () => {
    runs++;
    return async () => {
      while (!life.stopRequested) await life.pause(10_000);
    };
  };
  await life.start(steps);
  const firstSignal = life.signal;
  await life.stop();
  t.ok(firstSignal.aborted);
  await life.start(steps);
  t.notOk(life.signal.aborted, 'a new signal for the new run');
  t.equal(runs, 2);
  const stopped = life.whenStopped();
  await life.stop();
  await stopped;
  t.same(path(), ['starting', 'running', 'stopping', 'stopped', 'starting', 'running', 'stopping', 'stopped']);
});

t.test('a listener that throws neither stops the others nor the transition', async (t) => {
  const { life, path, lines } = recorded();
  life.onChange(() => {
    throw new Error('listener bug');
  });
  await life.start(async () => undefined);
  t.equal(life.state, 'running');
  t.same(path(), ['starting', 'running']);
  t.ok(lines.includes('a state listener failed'));
  await life.stop();
});
