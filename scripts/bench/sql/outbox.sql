-- The outbox row a mutation appends in its transaction (OutboxWriter::Append in
-- services/common/src/outbox.cc) and the NOTIFY that wakes the relay. bench.sh passes the type,
-- subject and envelope of a row the service itself wrote in the matching scenario, so the row
-- has the real size and is a valid event for whatever reads the stream.
INSERT INTO account.outbox (event_id, type, subject, aggregate_version, envelope)
  VALUES (gen_random_uuid(), :event_type, :event_subject, 1, :event_envelope::bytea);
SELECT pg_notify('accord_outbox_account', '');
