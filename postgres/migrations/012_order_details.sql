-- The rest of the order as the `orders` store holds it (OrderState), written by the sink from the store's changelog,
-- so that a lookup answered by Postgres equals the owning replica's (query-service/order-view.ts; docs/contract.md,
-- Readings 78–80). Columns and tables are null / empty for an order the sink last wrote before this migration: its
-- next change fills them.
--
-- The delivery address is personal data, the phone included, kept whole as the pipeline holds it: these tables are
-- for analysts cleared to see personal data. The lookup API masks the phone for store roles; the tables do not.

-- orders: when a held order goes to the warehouse, the customer's T1 ids, and where the order goes (normalised,
-- with any MODIFY applied). The postal code is never null once the sink has written the address.
ALTER TABLE orders ADD COLUMN release_due_at timestamptz;
ALTER TABLE orders ADD COLUMN t1_membership_id text;
ALTER TABLE orders ADD COLUMN t1_number text;
ALTER TABLE orders ADD COLUMN delivery_line1 text;
ALTER TABLE orders ADD COLUMN delivery_district text;
ALTER TABLE orders ADD COLUMN delivery_province text;
ALTER TABLE orders ADD COLUMN delivery_postal_code text;
ALTER TABLE orders ADD COLUMN delivery_phone text;

-- order_lines: the rate the line is taxed at (a fraction: 0.0700 is 7 %), the bundle the order line names
-- (OrderLine.BundleID; bundle_id stays the bundle the line was priced in, from its group), and the line's place in
-- the order (the lookup lists the lines in the order's own order, which line_id's text order is not: "10" < "2").
ALTER TABLE order_lines ADD COLUMN tax_rate numeric(5,4) CHECK (tax_rate BETWEEN 0 AND 1);
ALTER TABLE order_lines ADD COLUMN declared_bundle_id text;
ALTER TABLE order_lines ADD COLUMN position integer;

-- What Slick shorted, as it was priced then (OrderState.ShortedLines): a whole line, or for a partial short the
-- units taken off it, so one line may appear more than once. Replaced as a set with the order's row, like its lines.
CREATE TABLE order_shorted_lines (
  order_id          text NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
  position          integer NOT NULL,
  line_id           text NOT NULL,
  item_id           text NOT NULL,
  quantity          integer NOT NULL,
  unit_price        numeric(18,4) NOT NULL,
  line_amount       numeric(18,4) NOT NULL,
  line_discount     numeric(18,4) NOT NULL,
  line_tax          numeric(18,4) NOT NULL,
  bundle_group_id   text,
  short_description text,
  image_url         text,
  PRIMARY KEY (order_id, position)
);

-- The order's whole history as the state holds it (OrderState.History), oldest first: the transitions, and the
-- notes that kept the status (from_status = to_status: a modification, a short, a collection, an event ignored as
-- out of order), which never reach order.status.v1 and so are not in order_status_history. Replaced as a set with
-- the order's row. order_status_history stays as it was: one row per published transition, by topic position.
CREATE TABLE order_history (
  order_id    text NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
  position    integer NOT NULL,
  from_status integer,
  to_status   integer NOT NULL,
  reason      text,
  source      text NOT NULL,
  at          timestamptz NOT NULL,
  actor       text,
  PRIMARY KEY (order_id, position)
);
