-- The analysts' tables, one row per fact the pipeline publishes. Money is NUMERIC(18,4) (exact, as on the
-- topics); times are timestamptz in UTC.

CREATE TABLE orders (
  order_id              text PRIMARY KEY,
  ship_from_location_id text NOT NULL,
  customer_id           text,
  status                integer NOT NULL,
  payment_method        text,
  payment_status        text,
  sub_total             numeric(18,4),
  total_discount        numeric(18,4),
  total_taxes           numeric(18,4),
  informational_taxes   numeric(18,4),
  total_charges         numeric(18,4),
  order_total           numeric(18,4),
  created_at            timestamptz,
  updated_at            timestamptz NOT NULL
);

CREATE TABLE order_lines (
  order_id           text NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
  line_id            text NOT NULL,
  item_id            text NOT NULL,
  quantity           integer NOT NULL,
  unit_price         numeric(18,4) NOT NULL,
  line_discount      numeric(18,4) NOT NULL,
  line_tax           numeric(18,4) NOT NULL,
  bundle_group_id    text,
  short_description  text,
  image_url          text,
  PRIMARY KEY (order_id, line_id)
);

-- One row per transition, in the order the topic carries them (seq = the record's position per order).
CREATE TABLE order_status_history (
  order_id              text NOT NULL,
  seq                   integer NOT NULL,
  ship_from_location_id text NOT NULL,
  from_status           integer,
  to_status             integer NOT NULL,
  reason                text,
  source                text NOT NULL,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (order_id, seq)
);

CREATE TABLE releases (
  release_id            text PRIMARY KEY,
  order_id              text NOT NULL UNIQUE,
  ship_from_location_id text NOT NULL,
  order_total           numeric(18,4) NOT NULL,
  cod_amount            numeric(18,4) NOT NULL,
  line_count            integer NOT NULL,
  released_at           timestamptz NOT NULL
);

-- The COD lifecycle: one row per payment event.
CREATE TABLE payments (
  order_id              text NOT NULL,
  seq                   integer NOT NULL,
  ship_from_location_id text NOT NULL,
  payment_method        text NOT NULL,
  payment_status        text NOT NULL,
  amount                numeric(18,4) NOT NULL,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (order_id, seq)
);

CREATE TABLE validation_errors (
  order_id              text NOT NULL,
  seq                   integer NOT NULL,
  ship_from_location_id text NOT NULL,
  rule                  text NOT NULL,
  code                  text NOT NULL,
  field                 text NOT NULL,
  message               text NOT NULL,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (order_id, seq, code, field)
);

-- Consumed offsets, committed in the same SQL transaction as the rows they produced (exactly-once).
CREATE TABLE sink_offsets (
  consumer    text NOT NULL,
  topic       text NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (consumer, topic, partition)
);
