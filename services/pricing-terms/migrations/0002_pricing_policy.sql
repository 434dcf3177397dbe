-- The pricing policy, the singleton resource `pricingPolicy`: one row, present from the start
-- (an empty policy: no category limits, no minimum margin, default role authorities). Terms
-- transitions read it FOR SHARE in their transaction, so a policy change and an approval are
-- ordered: an approval is judged by the policy in force when it commits.
CREATE TABLE pricing_policy (
  id text PRIMARY KEY CHECK (id = 'pricingPolicy'),
  body bytea NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pricing_policy (id, body) VALUES ('pricingPolicy', '\x');
