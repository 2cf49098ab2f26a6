-- FulfillmentInteraction v2 names Slick's refusal of a request itself (a whole round of 4xx other than 408 / 429):
-- REFUSED, where v1 wrote GAVE_UP with the status. The manual-action list reads both, so rows written before the
-- upgrade stay listed as refused.
CREATE OR REPLACE VIEW releases_awaiting_slick AS
SELECT r.release_id, r.order_id, r.ship_from_location_id, r.released_at, o.status AS order_status,
       coalesce(c.calls, 0) AS calls, l.attempt AS last_attempt, l.outcome AS last_outcome,
       l.http_status AS last_http_status, l.error AS last_error, l.at AS last_at,
       (l.outcome = 'REFUSED'
        OR (l.outcome = 'GAVE_UP' AND l.http_status BETWEEN 400 AND 499 AND l.http_status NOT IN (408, 429))) AS refused,
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
