-- People's decisions on exceptions (order.exception-outcome.v1): a COD reconciliation exception acknowledged or
-- resolved, a release Slick has not taken retried or parked; applied, or refused with the pipeline's reason.
CREATE TABLE exception_outcomes (
  kafka_partition       integer NOT NULL,
  kafka_offset          bigint NOT NULL,
  order_id              text NOT NULL,
  ship_from_location_id text NOT NULL,
  exception             text NOT NULL CHECK (exception IN ('RECONCILIATION', 'RELEASE')),
  action                text NOT NULL CHECK (action IN ('ACKNOWLEDGE', 'RESOLVE', 'RETRY', 'PARK')),
  outcome               text NOT NULL CHECK (outcome IN ('APPLIED', 'REFUSED')),
  reason                text,
  note                  text NOT NULL,
  actor                 text NOT NULL,
  command_id            text NOT NULL,
  release_id            text,
  requested_at          timestamptz NOT NULL,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);
CREATE INDEX exception_outcomes_order ON exception_outcomes (order_id, exception, at);

-- A release a person retried is sent again as the same record: its row is updated, not inserted twice.
-- (releases.release_id is already its primary key.)

-- Each order's latest exception, unless a later run reconciled it or a person resolved it since it was
-- reported; with the latest acknowledgement since then (who, when, the note).
CREATE OR REPLACE VIEW open_reconciliation_exceptions AS
SELECT e.*, a.actor AS acknowledged_by, a.at AS acknowledged_at, a.note AS acknowledged_note
FROM (
  SELECT DISTINCT ON (order_id) order_id, ship_from_location_id, business_day, cut_off_at, kind, expected_amount,
         collected_amount, difference, delivered_at, collected_at, at
  FROM reconciliation_exceptions
  ORDER BY order_id, cut_off_at DESC, kafka_partition DESC, kafka_offset DESC, exception_index DESC) e
LEFT JOIN LATERAL (
  SELECT x.actor, x.at, x.note FROM exception_outcomes x
  WHERE x.order_id = e.order_id AND x.exception = 'RECONCILIATION' AND x.action = 'ACKNOWLEDGE'
    AND x.outcome = 'APPLIED' AND x.at >= e.at
  ORDER BY x.at DESC LIMIT 1) a ON true
WHERE NOT EXISTS (
  SELECT 1 FROM payments p
  WHERE p.order_id = e.order_id AND p.payment_status = 'Reconciled' AND p.at >= e.cut_off_at)
AND NOT EXISTS (
  SELECT 1 FROM exception_outcomes x
  WHERE x.order_id = e.order_id AND x.exception = 'RECONCILIATION' AND x.action = 'RESOLVE'
    AND x.outcome = 'APPLIED' AND x.at >= e.at);

-- The manual-action list, as before, with what a person decided since the last call: parked (who, when,
-- why: it stays listed, marked parked, until Slick takes it or someone retries it) or retried.
CREATE OR REPLACE VIEW releases_awaiting_slick AS
SELECT r.release_id, r.order_id, r.ship_from_location_id, r.released_at, o.status AS order_status,
       coalesce(c.calls, 0) AS calls, l.attempt AS last_attempt, l.outcome AS last_outcome,
       l.http_status AS last_http_status, l.error AS last_error, l.at AS last_at,
       (l.outcome = 'GAVE_UP' AND l.http_status BETWEEN 400 AND 499 AND l.http_status NOT IN (408, 429)) AS refused,
       CASE WHEN d.action = 'PARK' THEN d.actor END AS parked_by,
       CASE WHEN d.action = 'PARK' THEN d.at END AS parked_at,
       CASE WHEN d.action = 'PARK' THEN d.note END AS parked_reason
FROM releases r
LEFT JOIN orders o ON o.order_id = r.order_id
LEFT JOIN LATERAL (
  SELECT i.attempt, i.outcome, i.http_status, i.error, i.at FROM fulfillment_interactions i
  WHERE i.order_id = r.order_id AND i.action = 'SEND_RELEASE'
  ORDER BY i.kafka_offset DESC LIMIT 1) l ON true
LEFT JOIN LATERAL (
  SELECT count(*)::int AS calls FROM fulfillment_interactions i
  WHERE i.order_id = r.order_id AND i.action = 'SEND_RELEASE') c ON true
LEFT JOIN LATERAL (
  SELECT x.action, x.actor, x.at, x.note FROM exception_outcomes x
  WHERE x.order_id = r.order_id AND x.exception = 'RELEASE' AND x.outcome = 'APPLIED'
  ORDER BY x.at DESC, x.kafka_offset DESC LIMIT 1) d ON true
WHERE NOT EXISTS (
  SELECT 1 FROM fulfillment_interactions i
  WHERE i.order_id = r.order_id AND i.action = 'SEND_RELEASE' AND i.outcome IN ('ACCEPTED', 'DUPLICATE'));
