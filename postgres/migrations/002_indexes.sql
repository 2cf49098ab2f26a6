-- The lookups stores make: by OrderID (primary keys), by store + status + date, by customer; and the order
-- of each order's events.
CREATE INDEX orders_location_status_created ON orders (ship_from_location_id, status, created_at);
CREATE INDEX orders_customer ON orders (customer_id, created_at);
CREATE INDEX status_history_order ON order_status_history (order_id, kafka_offset);
CREATE INDEX status_history_location_at ON order_status_history (ship_from_location_id, at);
CREATE INDEX payments_order ON payments (order_id, kafka_offset);
CREATE INDEX payments_location_at ON payments (ship_from_location_id, at);
CREATE INDEX validations_order ON validations (order_id);
CREATE INDEX validation_errors_order ON validation_errors (order_id);
CREATE INDEX order_lines_bundle ON order_lines (bundle_id) WHERE bundle_id IS NOT NULL;
