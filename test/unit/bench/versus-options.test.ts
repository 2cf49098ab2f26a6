import t from 'tap';
import { parseOptions, type VersusOptions } from '../../../bench/versus/options.js';

const workers = (argv: string[], env: NodeJS.ProcessEnv = {}) => (parseOptions(argv, env) as VersusOptions).omniaWorkers;

t.test("Omnia's workers come from --omnia-workers, else the environment's OMNIA_WORKERS, else 1", async (t) => {
  t.equal(workers([]), 1);
  t.equal(workers(['--omnia-workers=2']), 2);
  t.equal(workers([], { OMNIA_WORKERS: '3' }), 3, 'the value passed through from the env is the one recorded');
  t.equal(workers(['--omnia-workers=2'], { OMNIA_WORKERS: '3' }), 2, 'the flag wins over the env');
  t.throws(() => workers(['--omnia-workers=0']), /--omnia-workers must be at least 1/);
  t.throws(() => workers(['--omnia-workers=two']), /--omnia-workers must be a whole number/);
  t.throws(() => workers([], { OMNIA_WORKERS: '1.5' }), /OMNIA_WORKERS must be a whole number ≥ 1/);
});

t.test("Kafka Streams' producer retry backoff is the client's own unless asked", async (t) => {
  const backoff = (argv: string[]) => (parseOptions(argv, {}) as VersusOptions).kstreamsRetryBackoffMs;
  t.equal(backoff([]), undefined, 'absent: the app leaves retry.backoff.ms alone');
  t.equal(backoff(['--kstreams-retry-backoff-ms=10']), 10);
  t.throws(() => backoff(['--kstreams-retry-backoff-ms=0']), /--kstreams-retry-backoff-ms must be at least 1/);
});
