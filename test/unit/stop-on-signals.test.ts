import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { stopOnSignals } from '../../bin/stop-on-signals.js';
import { type Logger, loggerOptions } from '../../observability/logger.js';

/** A logger as the project's, writing JSON lines into `lines`. */
function capturedLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino(loggerOptions('info'), stream) as Logger, lines };
}

t.test('every part closes in turn; a failing one is named, the rest still close, and the exit says so', async (t) => {
  const { log, lines } = capturedLogger();
  const closed: string[] = [];
  const exits: number[] = [];
  const stop = stopOnSignals({
    log,
    message: 'stopping the test parts',
    signals: [],
    exit: (code) => exits.push(code),
    steps: [
      ['first part', () => closed.push('first')],
      [
        'second part',
        async () => {
          throw new Error('the database pool would not close');
        },
      ],
      ['third part', async () => closed.push('third')],
    ],
  });
  await Promise.all([stop('SIGTERM'), stop('SIGINT')]);
  t.same(closed, ['first', 'third'], 'the parts after the failing one closed too, each once for two signals');
  t.same(exits, [1], 'one exit, with 1: not every part closed cleanly');
  t.ok(
    lines.some((line) => line.msg === 'second part did not stop cleanly'),
    'the failing part is named in the log',
  );
  t.equal(lines.filter((line) => line.msg === 'stopping the test parts').length, 1, 'the stop is logged once');
});

t.test('all parts closed: exit 0', async (t) => {
  const exits: number[] = [];
  const stop = stopOnSignals({
    log: capturedLogger().log,
    message: 'stopping',
    signals: [],
    exit: (code) => exits.push(code),
    steps: [['only part', async () => undefined]],
  });
  await stop('SIGTERM');
  t.same(exits, [0]);
});

t.test('a part that never closes: the process exits 1 after the time limit anyway', async (t) => {
  const { log, lines } = capturedLogger();
  const exits: number[] = [];
  let exited!: () => void;
  const exitedOnce = new Promise<void>((resolve) => (exited = resolve));
  const stop = stopOnSignals({
    log,
    message: 'stopping',
    signals: [],
    timeoutMs: 20,
    exit: (code) => {
      exits.push(code);
      exited();
    },
    steps: [['broker connection', () => new Promise(() => undefined)]],
  });
  // The time limit's timer does not hold the process up by itself; the hung close's socket would, as this does.
  const socketOfTheHungClose = setInterval(() => undefined, 1000);
  void stop('SIGTERM');
  await exitedOnce;
  clearInterval(socketOfTheHungClose);
  t.same(exits, [1]);
  t.ok(
    lines.some((line) => line.msg.startsWith('stopping took too long')),
    'the log says the close was cut short',
  );
});

t.test('by default SIGTERM and SIGINT stop it', async (t) => {
  const signals = ['SIGTERM', 'SIGINT'] as const;
  for (const signal of signals) {
    const before = new Map(signals.map((name) => [name, new Set(process.listeners(name))]));
    const exits: number[] = [];
    stopOnSignals({ log: capturedLogger().log, message: 'stopping', exit: (code) => exits.push(code), steps: [] });
    const added = (name: NodeJS.Signals) => process.listeners(name).filter((listener) => !before.get(name as 'SIGINT')!.has(listener));
    t.equal(added(signal).length, 1, `one ${signal} handler installed`);
    process.emit(signal);
    await new Promise((resolve) => setImmediate(resolve));
    t.same(exits, [0], `${signal} ran the stop`);
    // This test process must still end on a real signal.
    for (const name of signals) for (const listener of added(name)) process.removeListener(name, listener);
  }
});
