-- Each account's tier as the account service's events last said (AccountCreated, AccountUpdated),
-- for the pricing policy's tier limits. `version` is the account's: an older event never
-- overwrites a newer tier.
CREATE TABLE account_tiers (
  account_id uuid PRIMARY KEY,
  tier text NOT NULL,
  version bigint NOT NULL,
  update_time timestamptz NOT NULL DEFAULT now()
);
