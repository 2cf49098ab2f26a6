-- Returns of delivered orders and their refunds (docs/contract.md §11 *Returns*; sinks/README.md).
--
-- Written from the `returns` store's changelog (<application id>-returns-changelog, ReturnsState): each record is
-- every return of one order as the pipeline holds it, so a row is upserted per return and per returned line, and a
-- return's row is filled in (received_at, refund_total, the lines' refunds) when its units are received. No foreign
-- key to orders: the two changelogs are read side by side and either may be written first.
CREATE TABLE order_returns (
  order_id              text NOT NULL,
  return_id             text NOT NULL,
  ship_from_location_id text NOT NULL,
  command_id            text NOT NULL,
  reason                text,
  requested_by          text NOT NULL,
  requested_at          timestamptz NOT NULL,
  received_by           text,
  received_at           timestamptz,
  -- Σ the lines' refunds, the Amount of the Refunded payment event; null while the return is open.
  refund_total          numeric(18,4),
  PRIMARY KEY (order_id, return_id),
  CHECK ((received_at IS NULL) = (refund_total IS NULL))
);
CREATE INDEX order_returns_store ON order_returns (ship_from_location_id, requested_at);

-- The units of each line in a return and, once received, their share of what the line was paid (Cal A, D and E in
-- reverse): refund = amount − discount + tax. Over every return of an order the refunds add up to
-- order_total − total_charges when everything came back.
CREATE TABLE order_return_lines (
  order_id  text NOT NULL,
  return_id text NOT NULL,
  line_id   text NOT NULL,
  position  integer NOT NULL,
  item_id   text NOT NULL,
  quantity  integer NOT NULL CHECK (quantity > 0),
  amount    numeric(18,4),
  discount  numeric(18,4),
  tax       numeric(18,4),
  refund    numeric(18,4),
  PRIMARY KEY (order_id, return_id, line_id)
);

-- The two statuses of returns, by name.
CREATE OR REPLACE VIEW order_status_names (status, status_name) AS VALUES
  (1000, 'Open'), (2000, 'Allocated'), (3000, 'Released'), (3500, 'Picking'), (3600, 'Picked'), (3700, 'Packed'),
  (7000, 'Fulfilled'), (7100, 'Shipped'), (7200, 'In Transit'), (7300, 'Out for Delivery'),
  (7400, 'Delivery Failed'), (7500, 'Delivered'), (8000, 'Return requested'), (8500, 'Returned'), (9000, 'Cancelled');
