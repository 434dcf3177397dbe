-- The contacts themselves come from accord-bench-seed-contacts (scale.sh, scale_rows_contacts):
-- their personal fields are sealed under the service's keys. This adds what a call list reads
-- and two active campaigns, calling at any hour with no cool-off (their stored form is
-- accord.contact.v1.Campaign in wire format):
--   campaigns/00000000-0007-7000-8000-000000000001 over the contacts labelled `spring-campaign`
--   (10 % of them), campaigns/00000000-0007-7000-8000-000000000002 over every contact.
-- As the contact section's build (scenarios/contact.sh): 9 in 10 contacts consent to marketing
-- calls (channel PHONE = 1, purpose MARKETING = 1, GRANTED = 1), 1 in 25 is do-not-call. Run in
-- the seed's session (session_replication_role = replica: no triggers).
\ir protobuf.sql
INSERT INTO contact.campaigns (id, attributes, status)
SELECT ('00000000-0007-7000-8000-00000000000' || k)::uuid,
       pg_temp.pb_text(2, name) ||
         pg_temp.pb_bytes(4, pg_temp.pb_int(1, extract(epoch FROM now() - interval '1 day')::bigint)) ||
         pg_temp.pb_bytes(5, pg_temp.pb_int(1, extract(epoch FROM now() + interval '30 days')::bigint)) ||
         pg_temp.pb_bytes(6, pg_temp.pb_int(1, 0) || pg_temp.pb_int(2, 1440)) ||
         CASE WHEN label = '' THEN '' ELSE pg_temp.pb_text(8, label) END || pg_temp.pb_int(9, 2),
       2
FROM (VALUES (1, 'Spring campaign', 'spring-campaign'), (2, 'Everyone', '')) AS c (k, name, label);
INSERT INTO contact.consent_ledger (id, contact_id, channel, purpose, decision, decision_time, source, recorded_by)
SELECT gen_random_uuid(), id, 1, 1, 1, now(), 'bench', 'bench' FROM contact.contacts
WHERE get_byte(uuid_send(id), 15) % 10 <> 0;
UPDATE contact.contacts SET do_not_call = true WHERE get_byte(uuid_send(id), 14) % 25 = 0;
ANALYZE contact.consent_ledger;
