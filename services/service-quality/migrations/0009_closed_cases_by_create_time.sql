-- `status = CLOSED` newest first at a million cases (docs/performance.md, "Lists at scale"): the
-- planner took the creation index backwards with the status as a filter, expecting the closed
-- nine tenths spread evenly in time, and walked every open case (the newest) before its first
-- closed one (24-33 ms p99). `cases_by_status` would answer it but is dearer in the planner's
-- eyes (its leading column barely correlates with the heap). A partial index of the closed cases
-- in the page's order is the cheaper path whatever their share, and the mirror of migration
-- 0007's `cases_open_by_create_time`. Only a closed case's versions enter it: the sweeper's
-- writes (open cases) do not. `status = 7` is the compiled filter's clause, so the predicate is
-- proved from it.
CREATE INDEX cases_closed_by_create_time ON cases (create_time, id) WHERE status = 7;
