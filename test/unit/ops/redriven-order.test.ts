// A rejected order re-driven from the DLQ once its cause is fixed: the validate stage absorbs a byte-identical resend
// of a rejected record, but not one an operator re-drove (REDRIVEN_FROM_HEADER), which is validated afresh.
import t from 'tap';
import { serdeConfig } from '../../../avro/config.js';
import { deadLetterOf, redriveRecord } from '../../../ops/dead-letters.js';
import { DlqHeaders } from '../../../runtime/dead-letter.js';
import { InProcessRuntime } from '../../../runtime/in-process-runtime.js';
import { loadOrderConfig } from '../../../topology/order-config.js';
import { orderSerdes } from '../../../topology/order-serdes.js';
import { orderTopology } from '../../../topology/order-topology.js';
import { Topics } from '../../../topology/topics.js';
import { customer, order } from '../domain/fixtures.js';

t.test('a re-driven rejected order is validated afresh; a plain resend of it is still absorbed', async (t) => {
  const driver = new InProcessRuntime(orderTopology(loadOrderConfig({}), orderSerdes(serdeConfig({}))), {
    startTime: Date.parse('2026-11-21T09:15:00Z'),
  });
  const bytes = Buffer.from(JSON.stringify(order({ CustomerID: 'C-NEW' })));
  const statuses = () => driver.output.filter((record) => record.topic === Topics.status).length;
  await driver.pipeRaw(Topics.orderCreate, Buffer.from('QC0042'), bytes);
  const dlq = driver.output.filter((record) => record.topic === `${Topics.orderCreate}.dlq`);
  t.equal(dlq.length, 1);
  t.equal(dlq[0]!.headers[DlqHeaders.code], 'UNKNOWN_CUSTOMER');

  await driver.pipeRaw(Topics.customers, Buffer.from('C-NEW'), Buffer.from(JSON.stringify(customer({ CustomerID: 'C-NEW' }))));
  await driver.pipeRaw(Topics.orderCreate, Buffer.from('QC0042'), bytes);
  t.equal(statuses(), 0, 'the same bytes sent again: a redelivery of what was answered, absorbed');

  const letter = deadLetterOf({ ...dlq[0]!, offset: 0n }, new Map());
  const redriven = redriveRecord(letter, 1, driver.now);
  await driver.pipeRaw(redriven.topic, redriven.key, redriven.value, { headers: { ...redriven.headers } });
  t.same(
    driver.output.filter((record) => record.topic === Topics.status).map((record) => JSON.parse(record.value!.toString()).ToStatus),
    [1000, 2000, 3000],
    're-driven: validated, allocated, released',
  );
  await driver.pipeRaw(redriven.topic, redriven.key, redriven.value, { headers: { ...redriven.headers } });
  t.equal(statuses(), 3, 'the order exists now: the same record again is a redelivery');
});
