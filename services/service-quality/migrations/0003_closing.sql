-- Resolved cases close after a timeout unless the customer confirms first: the close sweep
-- walks this index, which holds only the resolved cases.
CREATE INDEX cases_resolved_by_resolve_time ON cases (resolve_time) WHERE status = 6;
-- An account's service review reads its surveys by answer time.
CREATE INDEX surveys_by_account ON surveys (account, answer_time) WHERE answer_time IS NOT NULL;
