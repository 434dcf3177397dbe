-- SLA policies and calendars are deleted softly: cases opened under them keep their targets and
-- their clock's calendar. One live policy per tier and priority.
ALTER TABLE calendars ADD COLUMN delete_time timestamptz;
ALTER TABLE sla_policies ADD COLUMN delete_time timestamptz;
ALTER TABLE sla_policies DROP CONSTRAINT sla_policies_tier_priority;
CREATE UNIQUE INDEX sla_policies_tier_priority ON sla_policies (tier, priority)
  WHERE delete_time IS NULL;
