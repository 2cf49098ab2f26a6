-- Views for analysts. Days are business days: the date in the time zone named by the setting
-- omnia.business_timezone (e.g. ALTER DATABASE analytics SET omnia.business_timezone = 'Asia/Bangkok'),
-- UTC when it is unset, so a store's evening does not split across two dates.
CREATE FUNCTION omnia_business_day(at timestamptz) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT (at AT TIME ZONE coalesce(nullif(current_setting('omnia.business_timezone', true), ''), 'UTC'))::date
$$;

CREATE VIEW order_status_names (status, status_name) AS VALUES
  (1000, 'Open'), (2000, 'Allocated'), (3000, 'Released'), (3500, 'Picking'), (3600, 'Picked'), (3700, 'Packed'),
  (7000, 'Fulfilled'), (7100, 'Shipped'), (7200, 'In Transit'), (7300, 'Out for Delivery'),
  (7400, 'Delivery Failed'), (7500, 'Delivered'), (9000, 'Cancelled');

-- How many orders each store has in each status now, their value, and the oldest one's age.
CREATE VIEW orders_per_store_status AS
SELECT o.ship_from_location_id, o.status, n.status_name, count(*) AS orders, sum(o.order_total) AS order_total,
       min(o.created_at) AS oldest_created_at
FROM orders o LEFT JOIN order_status_names n USING (status)
GROUP BY o.ship_from_location_id, o.status, n.status_name;

-- Every stay of an order in a status: when it entered, when it left (null while it is still there).
CREATE VIEW status_dwell AS
SELECT h.order_id, h.ship_from_location_id, h.to_status AS status, h.at AS entered_at,
       lead(h.at) OVER w AS left_at, lead(h.at) OVER w - h.at AS dwell
FROM order_status_history h
WINDOW w AS (PARTITION BY h.order_id ORDER BY h.kafka_offset);

-- Per store and status: how long orders stayed before moving on (seconds), over completed stays.
CREATE VIEW status_dwell_times AS
SELECT d.ship_from_location_id, d.status, n.status_name, count(*) AS stays,
       avg(extract(epoch FROM d.dwell))::numeric(18,3) AS avg_seconds,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.dwell)))::numeric(18,3) AS p50_seconds,
       (percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM d.dwell)))::numeric(18,3) AS p95_seconds,
       max(extract(epoch FROM d.dwell))::numeric(18,3) AS max_seconds
FROM status_dwell d LEFT JOIN order_status_names n USING (status)
WHERE d.left_at IS NOT NULL
GROUP BY d.ship_from_location_id, d.status, n.status_name;

-- Cash on delivery per store and business day: accepted (payment status 5000), collected, reconciled.
CREATE VIEW daily_cod_totals AS
SELECT ship_from_location_id, omnia_business_day(at) AS day,
       count(*) FILTER (WHERE payment_status = '5000') AS accepted_orders,
       coalesce(sum(amount) FILTER (WHERE payment_status = '5000'), 0)::numeric(18,4) AS accepted_amount,
       coalesce(sum(amount) FILTER (WHERE payment_status = 'Collected'), 0)::numeric(18,4) AS collected_amount,
       coalesce(sum(amount) FILTER (WHERE payment_status = 'Reconciled'), 0)::numeric(18,4) AS reconciled_amount,
       count(*) FILTER (WHERE payment_status IN ('Failed', 'Reversed')) AS failed_or_reversed
FROM payments
WHERE payment_method = 'COD'
GROUP BY ship_from_location_id, omnia_business_day(at);

-- Bundle sales per bundle and business day (of the order's creation), over released, not cancelled orders.
-- A group is named after its first-formed instance (processors/domain/bundles.ts), so a line group that
-- joins two bundles counts under the first.
CREATE VIEW bundle_sales_daily AS
SELECT l.bundle_id, omnia_business_day(o.created_at) AS day,
       count(DISTINCT (l.order_id, l.bundle_group_id)) AS bundle_groups, count(DISTINCT l.order_id) AS orders,
       sum(l.quantity) AS units, sum(l.line_amount) AS list_amount, sum(l.line_discount) AS discount,
       sum(l.line_amount - l.line_discount) AS net_amount
FROM order_lines l JOIN orders o USING (order_id)
WHERE l.bundle_id IS NOT NULL AND o.status >= 3000 AND o.status <> 9000
GROUP BY l.bundle_id, omnia_business_day(o.created_at);
