-- Reports count signals in the period they occurred in.
CREATE INDEX signals_by_occur_time ON signals (occur_time);
-- The sweeper counts the open cases it warned or breached after each pass (the gauge
-- accord_quality_sla_breaches_pending): few, however many cases there are.
CREATE INDEX cases_sla_flagged ON cases (status) WHERE sla_recorded <> 0 AND status NOT IN (6, 7);
