-- Webhooks, the deliveries owed to them and every attempt made.
CREATE TABLE webhooks (
  id uuid PRIMARY KEY,
  -- The Webhook without name, secret, state, etag and times (they have columns).
  attributes bytea NOT NULL,
  -- The secret sealed with ACCORD_WEBHOOKS_SECRET_KEY (libsodium secretbox, nonce first).
  sealed_secret bytea NOT NULL,
  state int NOT NULL,
  failing_since timestamptz,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);

-- One row per (webhook, event) owed, and one per redelivery. Order of id is the order of
-- delivery within a (webhook, subject).
CREATE TABLE deliveries (
  id bigserial PRIMARY KEY,
  webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id text NOT NULL,
  event_type text NOT NULL,
  subject text NOT NULL,
  -- The accord.common.v1.EventEnvelope as sent (binary protobuf).
  envelope bytea NOT NULL,
  state int NOT NULL,
  attempts int NOT NULL DEFAULT 0,
  next_attempt_time timestamptz NOT NULL DEFAULT now(),
  create_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_pending ON deliveries (id) WHERE state = 1;
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, id);

CREATE TABLE attempts (
  delivery_id bigint NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt_number int NOT NULL,
  status_code int NOT NULL,
  error text NOT NULL,
  duration_micros bigint NOT NULL,
  attempt_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (delivery_id, attempt_number)
);
