import t from 'tap';
import {
  boardAlerts,
  decisionPath,
  exceptionDecisions,
  noteProblem,
  releaseDecisions,
  RELEASE_WAIT_ALERT_SECONDS,
  STUCK_AFTER_SECONDS,
} from '../../../web/src/logic/exceptions.js';

const decision = { by: 'mgr', at: '2026-12-06T10:00:00.000Z', note: 'on it' };

t.test('paths and notes', async (t) => {
  t.equal(decisionPath('QC0001/7', 'resolve'), '/orders/QC0001%2F7/reconciliation/resolve');
  t.equal(decisionPath('A-1', 'park'), '/orders/A-1/release/park');
  t.equal(noteProblem('  '), 'empty');
  t.equal(noteProblem('x'.repeat(201)), 'tooLong');
  t.equal(noteProblem(` ${'x'.repeat(200)} `), undefined, 'trimmed before counting');
});

t.test('which decisions an exception or a release offers', async (t) => {
  t.same(exceptionDecisions({ open: true }), ['acknowledge', 'resolve']);
  t.same(exceptionDecisions({ open: false }), [], 'closed: nothing');
  t.same(releaseDecisions({ refused: true, parked: null }), ['retry', 'park']);
  t.same(releaseDecisions({ refused: false, parked: null }), ['park'], 'still being sent by the connector: park only');
  t.same(releaseDecisions({ refused: true, parked: decision }), ['retry'], 'parked: retry only');
  t.same(releaseDecisions({ refused: false, parked: decision }), ['retry']);
});

t.test('board alerts: refused releases first, then COD to check, long waits, stuck statuses oldest first', async (t) => {
  const alerts = boardAlerts({
    oldest: {
      1000: { orderId: 'O-new', ageSeconds: STUCK_AFTER_SECONDS[1000]! - 1 },
      3000: { orderId: 'O-rel', ageSeconds: STUCK_AFTER_SECONDS[3000]! + 5 },
      7400: { orderId: 'O-fail', ageSeconds: STUCK_AFTER_SECONDS[7400]! + 100 },
      7500: { orderId: 'O-done', ageSeconds: 10 * 86_400 },
      2000: null,
    },
    releases: [
      { orderId: 'R-1', refused: true, parked: null, ageSeconds: 60 },
      { orderId: 'R-2', refused: true, parked: decision, ageSeconds: 60 },
      { orderId: 'R-3', refused: false, parked: null, ageSeconds: RELEASE_WAIT_ALERT_SECONDS },
      { orderId: 'R-4', refused: false, parked: null, ageSeconds: RELEASE_WAIT_ALERT_SECONDS - 1 },
    ],
    exceptions: [
      { orderId: 'E-1', open: true, acknowledged: decision },
      { orderId: 'E-2', open: true, acknowledged: null },
      { orderId: 'E-3', open: false, acknowledged: null },
    ],
  });
  t.same(alerts, [
    { kind: 'refused', count: 1, orderId: 'R-1' },
    { kind: 'cod', count: 1, orderId: 'E-2' },
    { kind: 'waiting', count: 1, orderId: 'R-3', ageSeconds: RELEASE_WAIT_ALERT_SECONDS },
    { kind: 'stuck', status: 7400, orderId: 'O-fail', ageSeconds: STUCK_AFTER_SECONDS[7400]! + 100 },
    { kind: 'stuck', status: 3000, orderId: 'O-rel', ageSeconds: STUCK_AFTER_SECONDS[3000]! + 5 },
  ]);
  t.same(boardAlerts({ oldest: {}, releases: [], exceptions: [] }), [], 'a quiet store: no alert');
});
