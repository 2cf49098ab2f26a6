// The PMP simulator's settlement report: the cash it collected on a Bangkok business day, one row per parcel, in the
// format `omnia settlement import` reads — a short collection settled as collected.
import t from 'tap';
import { readSettlementReport } from '../../../connectors/pmp-settlement-report.js';
import { PmpSimulator } from '../../../connectors/simulators/pmp-simulator.js';

t.test('the report lists what PMP collected that local day, as it collected it', async (t) => {
  const pmp = new PmpSimulator({ token: 'pmp-token' });
  // 16:30Z is 23:30 in Bangkok: still the 21st; 17:30Z is the 22nd there.
  pmp.callbacks(
    { OrderID: 'QC0042-000002', ShipFromLocationID: 'QC0042', TrackingID: 'PMP-2', CodAmount: '90.6200' },
    { collectedAmount: '90.0000' },
    new Date('2026-11-21T16:28:00Z'),
  );
  pmp.callbacks(
    { OrderID: 'QC0042-000001', ShipFromLocationID: 'QC0042', TrackingID: 'PMP-1', CodAmount: '45.5000' },
    {},
    new Date('2026-11-21T03:00:00Z'),
  );
  pmp.callbacks(
    { OrderID: 'QC0042-000003', ShipFromLocationID: 'QC0042', TrackingID: 'PMP-3', CodAmount: '12.0000' },
    {},
    new Date('2026-11-21T17:30:00Z'),
  );
  pmp.callbacks(
    { OrderID: 'QC0042-000004', ShipFromLocationID: 'QC0042', TrackingID: 'PMP-4', CodAmount: null },
    {},
    new Date('2026-11-21T04:00:00Z'),
  );

  const { rows, problems } = readSettlementReport(Buffer.from(pmp.settlementReport('2026-11-21')));
  t.same(problems, []);
  t.same(
    rows.map((row) => [row.SettlementDate, row.OrderID, row.TrackingID, row.CollectedAmount, row.CollectedAt]),
    [
      ['2026-11-21', 'QC0042-000001', 'PMP-1', '45.5000', '2026-11-21T03:01:00.000Z'],
      ['2026-11-21', 'QC0042-000002', 'PMP-2', '90.0000', '2026-11-21T16:29:00.000Z'],
    ],
    'the prepaid parcel is not in it; the 22nd’s collection neither',
  );
  t.same(
    readSettlementReport(Buffer.from(pmp.settlementReport('2026-11-22'))).rows.map((row) => row.OrderID),
    ['QC0042-000003'],
  );
});
