-- The query service's order search (query-service/search-routes.ts) pages newest first by (created_at,
-- order_id) and reads each page from an index in that order, cut at the page size: over all orders, per
-- store, and per status. A search by total alone finds its few rows by the total instead. (Store + status
-- ranges use orders_location_status_created from 002; a customer's orders, orders_customer.)
CREATE INDEX orders_created_order ON orders (created_at, order_id);
CREATE INDEX orders_location_created_order ON orders (ship_from_location_id, created_at, order_id);
CREATE INDEX orders_status_created_order ON orders (status, created_at, order_id);
CREATE INDEX orders_total ON orders (order_total);
