-- PMP's daily settlement report (payment.settlement.v1), the second source of COD reconciliation beside the
-- partners' collection callbacks (docs/contract.md §12), and the weekly and monthly COD views over both.
-- Money is NUMERIC(18,4); days are business days (omnia_business_day, 003_views.sql: set omnia.business_timezone
-- to Asia/Bangkok, as for the other views).

-- OrderState v5: the settlement row the pipeline last applied to the order (null until one).
ALTER TABLE orders ADD COLUMN settlement_id text;
ALTER TABLE orders ADD COLUMN settled_amount numeric(18,4);
ALTER TABLE orders ADD COLUMN settlement_date date;

-- payment.settlement.v1: every row of every report imported, once per SettlementID (a hash of what the row says, so
-- a file imported again writes its rows over themselves). settlement_date and collected_at are PMP's.
CREATE TABLE payment_settlements (
  settlement_id         text PRIMARY KEY,
  partner               text NOT NULL,
  settlement_date       date NOT NULL,
  order_id              text NOT NULL,
  ship_from_location_id text NOT NULL,
  tracking_id           text NOT NULL,
  settled_amount        numeric(18,4) NOT NULL CHECK (settled_amount >= 0),
  collected_at          timestamptz NOT NULL,
  source_file           text NOT NULL,
  source_line           integer NOT NULL
);
CREATE INDEX payment_settlements_order ON payment_settlements (order_id);
CREATE INDEX payment_settlements_location_date ON payment_settlements (ship_from_location_id, settlement_date);

-- ReconciliationReport v2's settlement exceptions are rows of the same table as the others, so the lists and the
-- people's decisions take them alike. For them expected_amount is what the partner's callback collected (0 when
-- none), collected_amount the same (null when none), settled_amount the partner's, difference = settled − collected.
ALTER TABLE reconciliation_exceptions DROP CONSTRAINT reconciliation_exceptions_kind_check;
ALTER TABLE reconciliation_exceptions ADD CONSTRAINT reconciliation_exceptions_kind_check
  CHECK (kind IN ('MISSING', 'SHORT', 'OVER', 'SETTLEMENT_MISMATCH', 'NOT_IN_SETTLEMENT', 'SETTLEMENT_WITHOUT_COLLECTION'));
ALTER TABLE reconciliation_exceptions ADD COLUMN settled_amount numeric(18,4);
ALTER TABLE reconciliation_exceptions ADD COLUMN settlement_id text;

-- True for the kinds that compare the partner's settlement with its callback; the others compare the callback
-- with the order.
CREATE FUNCTION omnia_settlement_kind(kind text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT kind IN ('SETTLEMENT_MISMATCH', 'NOT_IN_SETTLEMENT', 'SETTLEMENT_WITHOUT_COLLECTION')
$$;

-- True when the order's latest settlement row equals the cash PMP's callback recorded: nothing is left to settle.
CREATE FUNCTION omnia_settlement_matches(p_order_id text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM orders o
    WHERE o.order_id = p_order_id AND o.settled_amount = o.collected_amount AND upper(coalesce(o.carrier, 'PMP')) = 'PMP')
$$;

-- An order has at most one open exception of each source: its latest collection exception, unless a later run
-- reconciled it or a person resolved it since (as before), and its latest settlement exception, unless a person
-- resolved it since or the order's settlement now matches its PMP collection (the pipeline reports it at every
-- cut-off until then; the Reconciled payment says nothing of the settlement, so it does not close one).
CREATE OR REPLACE VIEW open_reconciliation_exceptions AS
SELECT e.order_id, e.ship_from_location_id, e.business_day, e.cut_off_at, e.kind, e.expected_amount, e.collected_amount,
       e.difference, e.delivered_at, e.collected_at, e.at,
       a.actor AS acknowledged_by, a.at AS acknowledged_at, a.note AS acknowledged_note,
       e.settled_amount, e.settlement_id
FROM (
  SELECT DISTINCT ON (order_id, omnia_settlement_kind(kind)) order_id, ship_from_location_id, business_day, cut_off_at, kind,
         expected_amount, collected_amount, difference, delivered_at, collected_at, at, settled_amount, settlement_id
  FROM reconciliation_exceptions
  ORDER BY order_id, omnia_settlement_kind(kind), cut_off_at DESC, kafka_partition DESC, kafka_offset DESC, exception_index DESC) e
LEFT JOIN LATERAL (
  SELECT x.actor, x.at, x.note FROM exception_outcomes x
  WHERE x.order_id = e.order_id AND x.exception = 'RECONCILIATION' AND x.action = 'ACKNOWLEDGE'
    AND x.outcome = 'APPLIED' AND x.at >= e.at
  ORDER BY x.at DESC LIMIT 1) a ON true
WHERE (omnia_settlement_kind(e.kind) OR NOT EXISTS (
  SELECT 1 FROM payments p
  WHERE p.order_id = e.order_id AND p.payment_status = 'Reconciled' AND p.at >= e.cut_off_at))
AND NOT EXISTS (
  SELECT 1 FROM exception_outcomes x
  WHERE x.order_id = e.order_id AND x.exception = 'RECONCILIATION' AND x.action = 'RESOLVE'
    AND x.outcome = 'APPLIED' AND x.at >= e.at)
AND NOT (omnia_settlement_kind(e.kind) AND omnia_settlement_matches(e.order_id));

-- One row per COD order delivered or collected, and per order PMP settled: the business day it counts on (of
-- delivery, else of collection, else PMP's settlement date), what it should bring (OrderTotal; 0 when cancelled or
-- not COD), the cash the partner's callback recorded, what PMP settled, and its exceptions — the latest of each
-- source (collection, settlement) ever reported, and those still open, each counted with |difference|.
CREATE VIEW cod_settlement_orders AS
SELECT o.order_id, o.ship_from_location_id, o.carrier,
       coalesce(omnia_business_day(coalesce(o.delivered_at, o.collected_at)), o.settlement_date) AS day,
       (CASE WHEN o.payment_method = 'COD' AND o.status <> 9000 THEN coalesce(o.order_total, 0) ELSE 0 END)::numeric(18,4) AS expected_amount,
       o.collected_amount, o.settled_amount, o.settlement_id, o.settlement_date,
       coalesce(x.exceptions, 0) AS exceptions, coalesce(x.exception_amount, 0)::numeric(18,4) AS exception_amount,
       coalesce(y.exceptions, 0) AS open_exceptions, coalesce(y.exception_amount, 0)::numeric(18,4) AS open_exception_amount
FROM orders o
LEFT JOIN LATERAL (
  SELECT count(*)::int AS exceptions, sum(abs(l.difference)) AS exception_amount
  FROM (
    SELECT DISTINCT ON (omnia_settlement_kind(r.kind)) r.difference FROM reconciliation_exceptions r
    WHERE r.order_id = o.order_id
    ORDER BY omnia_settlement_kind(r.kind), r.cut_off_at DESC, r.kafka_partition DESC, r.kafka_offset DESC, r.exception_index DESC) l) x ON true
LEFT JOIN LATERAL (
  SELECT count(*)::int AS exceptions, sum(abs(v.difference)) AS exception_amount
  FROM open_reconciliation_exceptions v WHERE v.order_id = o.order_id) y ON true
WHERE (o.payment_method = 'COD' AND (o.delivered_at IS NOT NULL OR o.collected_amount IS NOT NULL)) OR o.settled_amount IS NOT NULL;

-- Per store and week (Monday to Sunday, business days): orders, expected, collected by the partners' callbacks (all
-- of them, and PMP's alone: what PMP should settle), settled by PMP, and exceptions (orders' latest per source, and
-- the open ones), counts and amounts.
CREATE VIEW cod_settlement_weekly AS
SELECT ship_from_location_id, date_trunc('week', day::timestamp)::date AS week, count(*)::int AS orders,
       sum(expected_amount)::numeric(18,4) AS expected_amount,
       coalesce(sum(collected_amount), 0)::numeric(18,4) AS collected_amount,
       coalesce(sum(collected_amount) FILTER (WHERE upper(carrier) = 'PMP'), 0)::numeric(18,4) AS pmp_collected_amount,
       coalesce(sum(settled_amount), 0)::numeric(18,4) AS settled_amount,
       sum(exceptions)::int AS exceptions, sum(exception_amount)::numeric(18,4) AS exception_amount,
       sum(open_exceptions)::int AS open_exceptions, sum(open_exception_amount)::numeric(18,4) AS open_exception_amount
FROM cod_settlement_orders
GROUP BY ship_from_location_id, date_trunc('week', day::timestamp)::date;

-- The same per store and calendar month (business days).
CREATE VIEW cod_settlement_monthly AS
SELECT ship_from_location_id, date_trunc('month', day::timestamp)::date AS month, count(*)::int AS orders,
       sum(expected_amount)::numeric(18,4) AS expected_amount,
       coalesce(sum(collected_amount), 0)::numeric(18,4) AS collected_amount,
       coalesce(sum(collected_amount) FILTER (WHERE upper(carrier) = 'PMP'), 0)::numeric(18,4) AS pmp_collected_amount,
       coalesce(sum(settled_amount), 0)::numeric(18,4) AS settled_amount,
       sum(exceptions)::int AS exceptions, sum(exception_amount)::numeric(18,4) AS exception_amount,
       sum(open_exceptions)::int AS open_exceptions, sum(open_exception_amount)::numeric(18,4) AS open_exception_amount
FROM cod_settlement_orders
GROUP BY ship_from_location_id, date_trunc('month', day::timestamp)::date;
