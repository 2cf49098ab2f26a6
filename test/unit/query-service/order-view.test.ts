import t from 'tap';
import { orderViewSchema, viewOfState } from '../../../query-service/order-view.js';
import { openOrder } from '../../../processors/order-state.js';
import { Ajv } from 'ajv';
import { examples } from '../avro/examples.js';

t.test('a unit price sent without 4 decimals ("22") is shown with them, so the view keeps its schema', async (t) => {
  const order = { ...examples.OrderCreate, OrderLines: [{ ...examples.OrderCreate.OrderLines![0]!, UnitPrice: '22' }] };
  const { state } = openOrder(order, 'hash', '2026-11-21T09:15:01Z');
  const priced = {
    ...state,
    Lines: [{ ...examples.OrderState.Lines[0]!, UnitPrice: '22' }],
  };
  const view = viewOfState(priced);
  t.equal(view.lines[0]!.unitPrice, '22.0000');
  const validate = new Ajv({ strict: false, allErrors: true }).addFormat('date-time', true).compile(orderViewSchema);
  t.ok(validate(JSON.parse(JSON.stringify(view))), JSON.stringify(validate.errors));
});
