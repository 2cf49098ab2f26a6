-- The audit trail of people's actions (docs/contract.md Reading 99; sinks/README.md).
--
-- One row per command, written by the sink from the command records themselves: order.update.v1 (cancel,
-- modify), delivery.status.v1 (cash confirmed by store staff: only records with ConfirmedBy), order.exception-action.v1,
-- order.return.v1 and bundle.definition.v1. The same command may reach the sink more than once — redelivered, sent
-- again by another replica under the same CommandID, refused to its dead-letter topic, or carried whole by its
-- ExceptionOutcome — so a row is keyed by the command, not by the record: every copy is merged into the one row,
-- each column keeping the first value any copy gave it. That is how the outcome is filled in whichever comes first.
CREATE TABLE action_audit (
  -- The CommandID; a record without one (a channel's own update, a merchandising feed's bundle) is named by where
  -- it was read, <topic>/<partition>/<offset>. A re-driven dead letter is a new attempt: "@" and where it came from.
  audit_id              text PRIMARY KEY,
  command_id            text,
  -- The token subject of whoever asked; null for a command that did not come through the query service.
  actor                 text,
  -- The token's roles as the command's `omnia-requested-role` header gave them; null when it did not.
  actor_role            text,
  -- CANCEL, MODIFY, CONFIRM_CASH, ACKNOWLEDGE_RECONCILIATION, RESOLVE_RECONCILIATION, RETRY_RELEASE, PARK_RELEASE,
  -- REQUEST_RETURN, RECEIVE_RETURN, DEFINE_BUNDLE: the `action` the query service answered with.
  action                text NOT NULL,
  target_kind           text NOT NULL CHECK (target_kind IN ('order', 'bundle', 'store')),
  target_id             text NOT NULL,
  -- The order's store; null for a bundle, whose stores are in details (Locations, empty for every store).
  ship_from_location_id text,
  requested_at          timestamptz NOT NULL,
  -- APPLIED or REFUSED with the pipeline's code when it says so (an ExceptionOutcome, a dead letter); null otherwise.
  outcome               text CHECK (outcome IN ('APPLIED', 'REFUSED')),
  outcome_reason        text,
  outcome_at            timestamptz,
  -- The request's key fields as the command carries them; never the delivery address's line or phone.
  details               jsonb NOT NULL,
  -- Where the command itself was read; null until it is (an outcome may come first).
  kafka_topic           text,
  kafka_partition       integer,
  kafka_offset          bigint,
  CHECK ((outcome IS NULL) = (outcome_at IS NULL))
);
CREATE INDEX action_audit_store ON action_audit (ship_from_location_id, requested_at);
CREATE INDEX action_audit_actor ON action_audit (actor, requested_at);
CREATE INDEX action_audit_target ON action_audit (target_kind, target_id, requested_at);

-- For analysts: each action with the business day it was asked on (omnia_business_day, 003_views.sql) and, for an
-- order, the order's status now.
CREATE OR REPLACE VIEW action_audit_daily AS
SELECT a.audit_id, a.command_id, a.actor, a.actor_role, a.action, a.target_kind, a.target_id, a.ship_from_location_id,
       omnia_business_day(a.requested_at) AS business_day,
       a.requested_at, a.outcome, a.outcome_reason, a.outcome_at, a.details, o.status AS order_status_now
FROM action_audit a
LEFT JOIN orders o ON a.target_kind = 'order' AND o.order_id = a.target_id;
