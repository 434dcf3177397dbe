-- NextCall's reads each walk a partial index that holds only rows it may take (docs/performance.md,
-- "Call lists at scale"). The index it replaced held every waiting row, leased and deferred ones
-- too, so each call walked past every contact handed out and not yet finished: the further a
-- campaign got, the slower its next call.
DROP INDEX call_list_waiting;
-- Never leased, or put back by an outcome (NO_ANSWER, CALL_BACK): in list order.
CREATE INDEX call_list_fresh ON call_list (campaign_id, position)
  WHERE state = 0 AND lease_until IS NULL;
-- Leased or deferred: found again once the lease has run out (lease_until < now()), by expiry.
CREATE INDEX call_list_leased ON call_list (campaign_id, lease_until, position)
  WHERE state = 0 AND lease_until IS NOT NULL;
