import t from 'tap';
import { isShuttingDown, nextState } from '../../runtime/runtime-state.js';

t.test('a replica moves through its life in order', async (t) => {
  t.equal(nextState('created', 'starting'), 'starting');
  t.equal(nextState('starting', 'running'), 'running');
  t.equal(nextState('running', 'restoring'), 'restoring');
  t.equal(nextState('restoring', 'running'), 'running');
  t.equal(nextState('running', 'failed'), 'failed');
  t.equal(nextState('failed', 'stopping'), 'stopping');
  t.equal(nextState('stopping', 'stopped'), 'stopped');
});

t.test('once stopping, work still in flight cannot bring the replica back', async (t) => {
  for (const late of ['running', 'restoring', 'failed', 'starting'] as const) {
    t.equal(nextState('stopping', late), 'stopping', `stopping ignores ${late}`);
    t.equal(nextState('stopped', late), 'stopped', `stopped ignores ${late}`);
  }
  t.ok(isShuttingDown('stopping') && isShuttingDown('stopped'));
  t.notOk(isShuttingDown('failed') || isShuttingDown('running'));
});

t.test('any other transition is a bug and says which', async (t) => {
  t.throws(() => nextState('created', 'running'), /invalid runtime state transition created → running/);
  t.throws(() => nextState('starting', 'restoring'), /starting → restoring/);
  t.throws(() => nextState('failed', 'running'), /failed → running/);
});
