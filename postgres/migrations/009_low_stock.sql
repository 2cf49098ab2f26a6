-- Low stock (docs/contract.md §8, Readings 55 and 56; sinks/README.md).
--
-- inventory.low-stock.v1: one row per event — an allocation that took an item's allocated units past the units
-- last counted on hand at a store. Keyed by position, as the other event tables; the topic is keyed by store, so
-- `ORDER BY kafka_offset` is a store's events in the order they were raised. An event is never withdrawn: the table
-- is the history, not what is short now.
CREATE TABLE low_stock_events (
  kafka_partition       integer NOT NULL,
  kafka_offset          bigint NOT NULL,
  ship_from_location_id text NOT NULL,
  item_id               text NOT NULL,
  on_hand               bigint NOT NULL CHECK (on_hand >= 0),
  allocated             bigint NOT NULL CHECK (allocated > on_hand),
  order_id              text NOT NULL,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);
CREATE INDEX low_stock_events_item ON low_stock_events (ship_from_location_id, item_id, at);

-- The `inventory` store's changelog (<application id>-inventory-changelog, InventoryCounter): each item's counters
-- at each store as the pipeline holds them now. on_hand is the last count, null until a first count arrives (the
-- record's -1); allocated is the units of orders not yet shipped, cancelled or changed away (Reading 56).
CREATE TABLE inventory_counters (
  ship_from_location_id text NOT NULL,
  item_id               text NOT NULL,
  on_hand               bigint CHECK (on_hand >= 0),
  allocated             bigint NOT NULL CHECK (allocated >= 0),
  PRIMARY KEY (ship_from_location_id, item_id)
);
-- Only the short ones are ever read by store (the view below); the rest are looked up by their key.
CREATE INDEX inventory_counters_short ON inventory_counters (ship_from_location_id) WHERE allocated > on_hand;

-- What each store is short of now: items whose counters say more units are allocated than were last counted on
-- hand — the pipeline's own test for raising an event, applied to the counters as they stand. An item drops out
-- once its orders ship, are cancelled or change, or a new count covers them; "latest event per item" alone would keep
-- it listed for ever. With the item's latest event (the order whose allocation raised it, and when): null when only
-- a count brought the item short, which raises no event. The description is that order's line's, as enriched from
-- the catalog. Stores belong to no region in these tables (nor in the tokens): a coordinator's region is every store.
CREATE VIEW low_stock_current AS
SELECT c.ship_from_location_id, c.item_id, c.on_hand, c.allocated, c.allocated - c.on_hand AS short_units,
       e.order_id AS last_order_id, e.at AS last_event_at, d.short_description
FROM inventory_counters c
LEFT JOIN LATERAL (
  SELECT x.order_id, x.at FROM low_stock_events x
  WHERE x.ship_from_location_id = c.ship_from_location_id AND x.item_id = c.item_id
  ORDER BY x.at DESC, x.kafka_partition DESC, x.kafka_offset DESC LIMIT 1) e ON true
LEFT JOIN LATERAL (
  SELECT l.short_description FROM order_lines l
  WHERE l.order_id = e.order_id AND l.item_id = c.item_id AND l.short_description IS NOT NULL
  ORDER BY l.line_id LIMIT 1) d ON true
WHERE c.allocated > c.on_hand;
