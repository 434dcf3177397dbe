-- What the service knows of each account, so that most cases open without asking the account
-- service (QualityLogic::ResolveAccount): kept from the account events it follows (created,
-- updated, merged, deleted) and from the account service's answers. A merged or deleted account
-- stays so; a live account's tier is replaced only by a newer version.
CREATE TABLE account_facts (
  account text PRIMARY KEY,
  tier smallint NOT NULL DEFAULT 0,
  merged_into text NOT NULL DEFAULT '',
  deleted boolean NOT NULL DEFAULT false,
  version bigint NOT NULL DEFAULT 0,
  update_time timestamptz NOT NULL DEFAULT now()
);
