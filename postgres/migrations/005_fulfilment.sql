-- After release: the order's fulfilment as it stands (OrderState v3), every call of the Slick egress
-- (order.fulfillment.v1), and the daily COD reconciliation (order.reconciliation.v1). Money is NUMERIC(18,4).

-- The orders store's changelog carries these since OrderState v3; null for an order not yet that far.
ALTER TABLE orders ADD COLUMN tracking_id text;
ALTER TABLE orders ADD COLUMN carrier text;
ALTER TABLE orders ADD COLUMN estimated_delivery timestamptz;
ALTER TABLE orders ADD COLUMN delivered_at timestamptz;
ALTER TABLE orders ADD COLUMN collected_amount numeric(18,4);
ALTER TABLE orders ADD COLUMN collected_at timestamptz;

-- order.fulfillment.v1: one row per call of the Slick egress (every attempt, every refusal by the circuit
-- breaker, every round given up, the acceptance). Keyed by store, so one order's calls share a partition
-- and `ORDER BY kafka_offset` is their order.
CREATE TABLE fulfillment_interactions (
  kafka_partition       integer NOT NULL,
  kafka_offset          bigint NOT NULL,
  release_id            text,
  order_id              text NOT NULL,
  ship_from_location_id text NOT NULL,
  action                text NOT NULL,
  attempt               integer NOT NULL,
  outcome               text NOT NULL,
  http_status           integer,
  error                 text,
  amount                numeric(18,4),
  at                    timestamptz NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);
CREATE INDEX fulfillment_interactions_order ON fulfillment_interactions (order_id, action, kafka_offset);
CREATE INDEX fulfillment_interactions_location_at ON fulfillment_interactions (ship_from_location_id, at);

-- order.reconciliation.v1: one row per report (a store's run at a cut-off), keyed by its position. A store
-- has one run per business day; should a day ever be reported twice, the latest (cut_off_at, then offset) is
-- the one that stands.
CREATE TABLE reconciliation_runs (
  kafka_partition       integer NOT NULL,
  kafka_offset          bigint NOT NULL,
  ship_from_location_id text NOT NULL,
  business_day          date NOT NULL,
  time_zone             text NOT NULL,
  cut_off_at            timestamptz NOT NULL,
  reconciled_orders     integer NOT NULL,
  reconciled_amount     numeric(18,4) NOT NULL,
  exception_count       integer NOT NULL,
  expected_total        numeric(18,4) NOT NULL,
  collected_total       numeric(18,4) NOT NULL,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);
CREATE INDEX reconciliation_runs_location_day ON reconciliation_runs (ship_from_location_id, business_day, cut_off_at);
CREATE INDEX reconciliation_runs_day ON reconciliation_runs (business_day);

-- Each exception of a report: a COD order whose collection does not match (MISSING: delivered, no cash;
-- SHORT / OVER: less / more than expected). difference = collected − expected.
CREATE TABLE reconciliation_exceptions (
  kafka_partition       integer NOT NULL,
  kafka_offset          bigint NOT NULL,
  exception_index       integer NOT NULL,
  ship_from_location_id text NOT NULL,
  business_day          date NOT NULL,
  cut_off_at            timestamptz NOT NULL,
  order_id              text NOT NULL,
  kind                  text NOT NULL CHECK (kind IN ('MISSING', 'SHORT', 'OVER')),
  expected_amount       numeric(18,4) NOT NULL,
  collected_amount      numeric(18,4),
  difference            numeric(18,4) NOT NULL,
  delivered_at          timestamptz,
  collected_at          timestamptz,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset, exception_index)
);
CREATE INDEX reconciliation_exceptions_order ON reconciliation_exceptions (order_id, cut_off_at);
CREATE INDEX reconciliation_exceptions_location_day ON reconciliation_exceptions (ship_from_location_id, business_day);

-- The manual-action list: released orders Slick has not yet taken (no ACCEPTED or DUPLICATE SEND_RELEASE),
-- with the last call's outcome and attempt (null when the egress has not called yet) and the order's current
-- status (a cancelled order is still listed: Slick was never told of the release).
CREATE VIEW releases_awaiting_slick AS
SELECT r.release_id, r.order_id, r.ship_from_location_id, r.released_at, o.status AS order_status,
       coalesce(c.calls, 0) AS calls, l.attempt AS last_attempt, l.outcome AS last_outcome,
       l.http_status AS last_http_status, l.error AS last_error, l.at AS last_at
FROM releases r
LEFT JOIN orders o ON o.order_id = r.order_id
LEFT JOIN LATERAL (
  SELECT i.attempt, i.outcome, i.http_status, i.error, i.at FROM fulfillment_interactions i
  WHERE i.order_id = r.order_id AND i.action = 'SEND_RELEASE'
  ORDER BY i.kafka_offset DESC LIMIT 1) l ON true
LEFT JOIN LATERAL (
  SELECT count(*)::int AS calls FROM fulfillment_interactions i
  WHERE i.order_id = r.order_id AND i.action = 'SEND_RELEASE') c ON true
WHERE NOT EXISTS (
  SELECT 1 FROM fulfillment_interactions i
  WHERE i.order_id = r.order_id AND i.action = 'SEND_RELEASE' AND i.outcome IN ('ACCEPTED', 'DUPLICATE'));

-- Each order's latest exception, unless a later run reconciled it (its Reconciled payment event is at or
-- after that run's cut-off: a run happens after its cut-off and before the next one).
CREATE VIEW open_reconciliation_exceptions AS
SELECT e.*
FROM (
  SELECT DISTINCT ON (order_id) order_id, ship_from_location_id, business_day, cut_off_at, kind, expected_amount,
         collected_amount, difference, delivered_at, collected_at, at
  FROM reconciliation_exceptions
  ORDER BY order_id, cut_off_at DESC, kafka_partition DESC, kafka_offset DESC, exception_index DESC) e
WHERE NOT EXISTS (
  SELECT 1 FROM payments p
  WHERE p.order_id = e.order_id AND p.payment_status = 'Reconciled' AND p.at >= e.cut_off_at);
