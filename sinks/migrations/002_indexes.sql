-- The lookups stores make: by OrderID (primary keys), by store + status + date, by customer.
CREATE INDEX orders_location_status_created ON orders (ship_from_location_id, status, created_at);
CREATE INDEX orders_customer ON orders (customer_id, created_at);
CREATE INDEX status_history_location_at ON order_status_history (ship_from_location_id, at);
CREATE INDEX payments_location_at ON payments (ship_from_location_id, at);
