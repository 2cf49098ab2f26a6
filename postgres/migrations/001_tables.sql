-- The analysts' tables, one row per fact the pipeline publishes. Money is NUMERIC(18,4) (exact, as on the
-- topics); times are timestamptz (UTC on the topics). Event tables are keyed by the record's position in its
-- topic (partition, offset): one order's records share a partition, so offset order is the order's history.

-- One row per accepted order: its current state, from the `orders` store's changelog.
CREATE TABLE orders (
  order_id              text PRIMARY KEY,
  ship_from_location_id text NOT NULL,
  customer_id           text,
  cust_ref              text,
  status                integer NOT NULL,
  payment_method        text NOT NULL,
  payment_status        text,
  release_id            text,
  sub_total             numeric(18,4),
  total_discount        numeric(18,4),
  total_taxes           numeric(18,4),
  informational_taxes   numeric(18,4),
  total_charges         numeric(18,4),
  order_total           numeric(18,4),
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL
);

-- The order's priced lines as they stand (enriched, discounted, taxed, grouped into bundles).
CREATE TABLE order_lines (
  order_id           text NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
  line_id            text NOT NULL,
  item_id            text NOT NULL,
  quantity           integer NOT NULL,
  unit_price         numeric(18,4) NOT NULL,
  line_amount        numeric(18,4) NOT NULL,
  line_discount      numeric(18,4) NOT NULL,
  line_tax           numeric(18,4) NOT NULL,
  bundle_group_id    text,
  bundle_id          text,
  short_description  text,
  image_url          text,
  PRIMARY KEY (order_id, line_id)
);

-- order.status.v1: one row per transition.
CREATE TABLE order_status_history (
  kafka_partition       integer NOT NULL,
  kafka_offset          bigint NOT NULL,
  order_id              text NOT NULL,
  ship_from_location_id text NOT NULL,
  from_status           integer,
  to_status             integer NOT NULL,
  reason                text,
  source                text NOT NULL,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);

-- order.release.v1: exactly one per released order.
CREATE TABLE releases (
  release_id            text PRIMARY KEY,
  order_id              text NOT NULL UNIQUE,
  ship_from_location_id text NOT NULL,
  payment_method        text NOT NULL,
  t1_membership_id      text,
  line_count            integer NOT NULL,
  sub_total             numeric(18,4) NOT NULL,
  total_discount        numeric(18,4) NOT NULL,
  total_taxes           numeric(18,4) NOT NULL,
  informational_taxes   numeric(18,4) NOT NULL,
  total_charges         numeric(18,4) NOT NULL,
  order_total           numeric(18,4) NOT NULL,
  cod_amount            numeric(18,4) NOT NULL,
  released_at           timestamptz NOT NULL
);

-- order.payment.v1: the COD lifecycle, one row per payment event.
CREATE TABLE payments (
  kafka_partition       integer NOT NULL,
  kafka_offset          bigint NOT NULL,
  order_id              text NOT NULL,
  ship_from_location_id text NOT NULL,
  payment_method        text NOT NULL,
  payment_status        text NOT NULL,
  amount                numeric(18,4) NOT NULL,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);

-- order.validation.v1: every verdict (rejection rates), and each failed rule of a rejected record.
CREATE TABLE validations (
  kafka_partition       integer NOT NULL,
  kafka_offset          bigint NOT NULL,
  order_id              text NOT NULL,
  ship_from_location_id text NOT NULL,
  valid                 boolean NOT NULL,
  error_count           integer NOT NULL,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);

CREATE TABLE validation_errors (
  kafka_partition       integer NOT NULL,
  kafka_offset          bigint NOT NULL,
  error_index           integer NOT NULL,
  order_id              text NOT NULL,
  ship_from_location_id text NOT NULL,
  rule                  text NOT NULL,
  code                  text NOT NULL,
  field                 text NOT NULL,
  message               text NOT NULL,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset, error_index)
);

-- Consumed offsets, committed in the same SQL transaction as the rows they produced (exactly-once).
-- next_offset -1: the partition is read from its beginning.
CREATE TABLE sink_offsets (
  consumer    text NOT NULL,
  topic       text NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (consumer, topic, partition)
);

-- Records the sink could not turn into rows (undecodable, or refused by a constraint), kept with the reason,
-- in the same transaction as the offsets that pass them: nothing is lost and the sink keeps going.
CREATE TABLE sink_dead_letters (
  consumer     text NOT NULL,
  topic        text NOT NULL,
  partition    integer NOT NULL,
  kafka_offset bigint NOT NULL,
  key          bytea,
  value        bytea,
  error        text NOT NULL,
  at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, topic, partition, kafka_offset)
);
