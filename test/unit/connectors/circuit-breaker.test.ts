import t from 'tap';
import { type BreakerState, CircuitBreaker } from '../../../connectors/circuit-breaker.js';

function breaker(threshold = 5, coolDownMs = 1_000) {
  const clock = { now: 0 };
  const moves: string[] = [];
  const b = new CircuitBreaker({ failureThreshold: threshold, coolDownMs, now: () => clock.now, onStateChange: (from: BreakerState, to: BreakerState) => moves.push(`${from}→${to}`) });
  const fail = () => {
    t.ok(b.tryAcquire(), 'call permitted');
    b.onFailure();
  };
  return { b, clock, moves, fail };
}

t.test('closed: stays closed below the threshold; a success resets the count', async (t) => {
  const { b, fail } = breaker(5);
  for (let i = 0; i < 4; i++) fail();
  t.equal(b.state, 'closed');
  t.equal(b.consecutiveFailures, 4);
  t.ok(b.tryAcquire());
  b.onSuccess();
  t.equal(b.consecutiveFailures, 0);
  for (let i = 0; i < 4; i++) fail();
  t.equal(b.state, 'closed', 'the count started again after the success');
});

t.test('opens after 5 consecutive failures and refuses calls during the cool-down', async (t) => {
  const { b, clock, moves, fail } = breaker(5, 1_000);
  for (let i = 0; i < 5; i++) fail();
  t.equal(b.state, 'open');
  t.same(moves, ['closed→open']);
  t.notOk(b.tryAcquire(), 'refused while open');
  t.equal(b.retryAfterMs(), 1_000);
  clock.now = 999;
  t.notOk(b.tryAcquire(), 'still refused 1 ms before the cool-down ends');
  t.equal(b.retryAfterMs(), 1);
});

t.test('half-open: one probe only; its success closes the circuit', async (t) => {
  const { b, clock, moves, fail } = breaker(5, 1_000);
  for (let i = 0; i < 5; i++) fail();
  clock.now = 1_000;
  t.equal(b.state, 'half-open', 'reads half-open once the cool-down passed');
  t.ok(b.tryAcquire(), 'the probe is let through');
  t.notOk(b.tryAcquire(), 'a second caller is refused while the probe is out');
  t.ok(b.retryAfterMs() > 0, 'and told to wait a little');
  b.onSuccess();
  t.equal(b.state, 'closed');
  t.same(moves, ['closed→open', 'open→half-open', 'half-open→closed']);
  t.ok(b.tryAcquire(), 'calls flow again');
  b.onSuccess();
});

t.test('half-open: a failed probe opens the circuit again for a full cool-down', async (t) => {
  const { b, clock, moves, fail } = breaker(5, 1_000);
  for (let i = 0; i < 5; i++) fail();
  clock.now = 1_500;
  t.ok(b.tryAcquire());
  b.onFailure();
  t.equal(b.state, 'open');
  t.equal(b.retryAfterMs(), 1_000, 'the cool-down starts again from the failed probe');
  clock.now = 2_499;
  t.notOk(b.tryAcquire());
  clock.now = 2_500;
  t.ok(b.tryAcquire(), 'next probe');
  t.same(moves, ['closed→open', 'open→half-open', 'half-open→open', 'open→half-open']);
});

t.test('an ignored call (the partner refused the request itself) neither counts nor clears failures', async (t) => {
  const { b, fail } = breaker(2);
  fail();
  t.ok(b.tryAcquire());
  b.onIgnored();
  t.equal(b.consecutiveFailures, 1);
  fail();
  t.equal(b.state, 'open');
});

t.test('illegal moves throw: a report without a permit, a bad threshold', async (t) => {
  const { b } = breaker();
  t.throws(() => b.onSuccess(), /without tryAcquire/);
  t.throws(() => b.onFailure(), /without tryAcquire/);
  t.throws(() => new CircuitBreaker({ failureThreshold: 0, coolDownMs: 1 }), /failureThreshold/);
});
