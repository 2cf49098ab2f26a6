// The settlement rules: how a row compares with the callback, when a PMP collection is due in a settlement, whose
// callback counts, and what a settlement exception reports.
import t from 'tap';
import {
  classifySettlement,
  collectionPartner,
  judgeSettlement,
  settlementDueAt,
  settlementException,
  type SettlementSubject,
} from '../../../processors/domain/settlement.js';

const BANGKOK = { cutOff: { hour: 23, minute: 0 }, timeZone: 'Asia/Bangkok' };
const at = (iso: string) => Date.parse(iso);

const subject = (overrides: Partial<SettlementSubject> = {}): SettlementSubject => ({
  Carrier: 'PMP',
  CollectedAmount: '90.6200',
  CollectedAt: '2026-11-21T09:30:00.000Z',
  DeliveredAt: '2026-11-21T09:29:00.000Z',
  History: [],
  SettlementID: null,
  SettledAmount: null,
  SettlementDate: null,
  ...overrides,
});

t.test('a row compared with the callback: exact at 4 decimals', async (t) => {
  t.equal(classifySettlement('90.6200', '90.62', false), 'SETTLED', 'the same amount however written');
  t.equal(classifySettlement('90.6200', '90.6199', false), 'SETTLEMENT_MISMATCH');
  t.equal(classifySettlement('90.6200', '90.6201', false), 'SETTLEMENT_MISMATCH');
  t.equal(classifySettlement(null, '90.6200', false), 'SETTLEMENT_WITHOUT_COLLECTION');
  t.equal(classifySettlement('90.6200', null, false), 'AWAITING');
  t.equal(classifySettlement('90.6200', null, true), 'NOT_IN_SETTLEMENT');
  t.equal(classifySettlement(null, null, true), 'NONE');
});

t.test('a collection is due in the settlement by the cut-off after the one closing its business day', async (t) => {
  // 23:00 in Bangkok is 16:00Z.
  t.equal(
    new Date(settlementDueAt(at('2026-11-21T15:59:59Z'), 1, BANGKOK.cutOff, BANGKOK.timeZone)).toISOString(),
    '2026-11-22T16:00:00.000Z',
    '22:59:59 belongs to the 21st: due at the 22nd’s cut-off',
  );
  t.equal(
    new Date(settlementDueAt(at('2026-11-21T16:00:00Z'), 1, BANGKOK.cutOff, BANGKOK.timeZone)).toISOString(),
    '2026-11-22T16:00:00.000Z',
    'at the cut-off itself: still the 21st',
  );
  t.equal(
    new Date(settlementDueAt(at('2026-11-21T16:00:01Z'), 1, BANGKOK.cutOff, BANGKOK.timeZone)).toISOString(),
    '2026-11-23T16:00:00.000Z',
    'just after it: the 22nd, due at the 23rd’s',
  );
  t.equal(
    new Date(settlementDueAt(at('2026-11-21T09:30:00Z'), 3, BANGKOK.cutOff, BANGKOK.timeZone)).toISOString(),
    '2026-11-24T16:00:00.000Z',
    'three cut-offs to send it',
  );
  // A zone with daylight saving: 23:00 in Berlin is 22:00Z in winter, 21:00Z in summer.
  t.equal(
    new Date(settlementDueAt(at('2026-03-28T12:00:00Z'), 1, BANGKOK.cutOff, 'Europe/Berlin')).toISOString(),
    '2026-03-29T21:00:00.000Z',
    'across the spring change, the next day’s 23:00 local',
  );
});

t.test('judged at a run: NOT_IN_SETTLEMENT only once the due cut-off is reached', async (t) => {
  const rule = { dueDays: 1, ...BANGKOK };
  t.equal(judgeSettlement(subject(), at('2026-11-21T16:00:00Z'), rule), 'AWAITING');
  t.equal(judgeSettlement(subject(), at('2026-11-22T16:00:00Z'), rule), 'NOT_IN_SETTLEMENT');
  t.equal(judgeSettlement(subject({ CollectedAt: null }), at('2026-11-21T16:00:00Z'), rule), 'NOT_IN_SETTLEMENT', 'no time: due');
  t.equal(judgeSettlement(subject({ SettledAmount: '90.6200' }), at('2026-11-22T16:00:00Z'), rule), 'SETTLED');
  t.equal(judgeSettlement(subject({ Carrier: 'GRAB' }), at('2026-11-25T16:00:00Z'), rule), 'NONE', 'Grab’s cash: no settlement expected');
});

t.test('whose callback recorded the cash: the carrier, else the latest collection note', async (t) => {
  t.equal(collectionPartner(subject({ Carrier: 'pmp' })), 'PMP');
  t.equal(collectionPartner(subject({ CollectedAmount: null })), null, 'no cash, no partner');
  const history = [
    { Reason: 'COLLECTED 50.0000 by GRAB', Source: 'grab' },
    { Reason: 'COLLECTED 90.6200 by PMP', Source: 'pmp' },
    { Reason: 'RECONCILED 90.6200 for business day 2026-11-21', Source: 'reconcile' },
  ];
  t.equal(collectionPartner(subject({ Carrier: null, History: history })), 'PMP', 'no shipped event yet: the latest note');
  t.equal(collectionPartner(subject({ Carrier: null, History: history.slice(0, 1) })), 'GRAB');
  t.equal(collectionPartner(subject({ Carrier: null, History: [{ Reason: null, Source: 'slick' }] })), null);
});

t.test('a settlement exception: settled minus collected, a missing amount counting 0', async (t) => {
  const row = { SettlementID: 'PMP-1', SettledAmount: '90.0000', SettlementDate: '2026-11-21' };
  t.match(settlementException('O-1', 'SETTLEMENT_MISMATCH', subject(row)), {
    Partner: 'PMP',
    CollectedAmount: '90.6200',
    SettledAmount: '90.0000',
    Difference: '-0.6200',
    SettlementID: 'PMP-1',
    SettlementDate: '2026-11-21',
    CollectedAt: '2026-11-21T09:30:00.000Z',
  });
  t.match(settlementException('O-2', 'SETTLEMENT_WITHOUT_COLLECTION', subject({ ...row, CollectedAmount: null, CollectedAt: null })), {
    CollectedAmount: null,
    SettledAmount: '90.0000',
    Difference: '90.0000',
  });
  t.match(settlementException('O-3', 'NOT_IN_SETTLEMENT', subject()), {
    CollectedAmount: '90.6200',
    SettledAmount: null,
    Difference: '-90.6200',
    SettlementID: null,
    SettlementDate: null,
  });
});
