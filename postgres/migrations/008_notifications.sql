-- Customer notifications (notification.sent.v1): one row per step of a message to a customer — every call to the
-- SMS or LINE provider and its result, a round given up, a call the circuit breaker refused, a message held for
-- quiet hours, a message not sent (opted out, no contact). Keyed by store, so one order's rows share a partition
-- and `ORDER BY kafka_offset` is their order. The recipient is masked (+66*****5678): the table holds no phone
-- number; `body` is the text exactly as sent.
CREATE TABLE notification_outcomes (
  kafka_partition       integer NOT NULL,
  kafka_offset          bigint NOT NULL,
  notification_id       text NOT NULL,
  order_id              text NOT NULL,
  ship_from_location_id text NOT NULL,
  customer_id           text,
  event                 text NOT NULL CHECK (event IN ('ORDER_CONFIRMED', 'SHIPPED', 'OUT_FOR_DELIVERY', 'DELIVERY_FAILED', 'DELIVERED', 'CANCELLED', 'COD_RECEIPT')),
  channel               text CHECK (channel IN ('SMS', 'LINE')),
  recipient             text,
  language              text,
  attempt               integer NOT NULL,
  outcome               text NOT NULL CHECK (outcome IN ('SENT', 'DUPLICATE', 'FAILED', 'GAVE_UP', 'REFUSED', 'CIRCUIT_OPEN', 'DEFERRED', 'SKIPPED')),
  reason                text,
  http_status           integer,
  error                 text,
  provider_message_id   text,
  body                  text,
  due_at                timestamptz,
  event_at              timestamptz NOT NULL,
  at                    timestamptz NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);
CREATE INDEX notification_outcomes_order ON notification_outcomes (order_id, kafka_offset);
CREATE INDEX notification_outcomes_customer ON notification_outcomes (customer_id, at);
