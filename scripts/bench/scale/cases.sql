-- Seeds :n service cases over the last two years with the variety supervisors' filters meet:
-- 20 000 accounts, 200 agents in 20 teams, kinds, categories, priorities and channels in
-- realistic shares, descriptions in English and Chinese. One case in ten is open (created in the
-- last 30 days, its SLA clock running; one open case in a hundred has a check due now, the rest
-- later; 5 % of them resolved in the last 12 hours, awaiting confirmation), the others closed with
-- their SLA outcome recorded, as the sweeper and the service report read them. Deterministic (setseed). psql -v n=1000000 -f cases.sql
SELECT setseed(0.2026);

-- The case's body is accord.quality.v1.Case in wire format (the fields Lists show).
\ir protobuf.sql

CREATE TEMP TABLE seed AS
SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
       i % 10 = 0 AS open
FROM generate_series(1, :n) AS i;

CREATE TEMP TABLE c AS
SELECT ('00000000-0002-7000-8000-' || lpad(to_hex(s.i), 12, '0'))::uuid AS id,
       'accounts/00000000-0001-7000-8000-' || lpad(to_hex(1 + (s.i::bigint * 7919) % 20000), 12, '0')
         AS account,
       CASE WHEN s.r1 < 0.7 THEN 'contacts/00000000-0003-7000-8000-' ||
                                 lpad(to_hex(1 + (s.i::bigint * 104729) % 100000), 12, '0')
            ELSE '' END AS contact,
       CASE WHEN s.r2 < 0.5 THEN 1 WHEN s.r2 < 0.85 THEN 2 ELSE 9 END AS channel,
       CASE WHEN s.r3 < 0.3 THEN 1 WHEN s.r3 < 0.7 THEN 2 WHEN s.r3 < 0.95 THEN 3 ELSE 4 END AS kind,
       1 + (s.i % 6) AS category,
       CASE WHEN NOT s.open THEN 7
            WHEN s.r4 < 0.2 THEN 1 WHEN s.r4 < 0.4 THEN 2 WHEN s.r4 < 0.7 THEN 3
            WHEN s.r4 < 0.85 THEN 4 WHEN s.r4 < 0.92 THEN 5 WHEN s.r4 < 0.95 THEN 8 ELSE 6 END
         AS status,
       CASE WHEN s.r5 < 0.4 THEN 1 WHEN s.r5 < 0.8 THEN 2 WHEN s.r5 < 0.97 THEN 3 ELSE 4 END
         AS priority,
       1 + (s.i % 3) AS impact, 1 + ((s.i / 3) % 3) AS urgency,
       CASE WHEN s.r5 < 0.02 THEN 1 WHEN s.r5 < 0.15 THEN 2 ELSE 3 END AS tier,
       CASE WHEN s.open AND s.r4 < 0.2 THEN '' ELSE 'agent-' || (s.i % 200) END AS assignee,
       'team-' || (s.i % 20) AS team,
       CASE WHEN s.r3 < 0.9 THEN 1 WHEN s.r3 < 0.98 THEN 2 ELSE 3 END AS escalation_level,
       CASE WHEN s.r1 < 0.3
            THEN (ARRAY['訂單延遲送達', '發票金額錯誤', '貨品破損', '出貨錯誤', '服務態度不佳',
                        '退款尚未入帳'])[1 + s.i % 6] || ',訂單編號 ' || s.i
            ELSE (ARRAY['Late delivery of order', 'Invoice amount wrong on order',
                        'Damaged goods received for order', 'Wrong items dispatched in order',
                        'Rude service about order', 'Refund missing for order'])[1 + s.i % 6] ||
                 ' ' || s.i || CASE WHEN s.r2 < 0.001 THEN ' pallet collapsed' ELSE '' END
       END AS description,
       CASE WHEN s.open THEN now() - s.r2 * interval '30 days'
            ELSE now() - interval '30 days' - s.r2 * interval '700 days' END AS create_time,
       s.open, s.r1, s.r3
FROM seed s;

INSERT INTO service_quality.cases (id, account, contact, channel, kind, category, status,
  priority, impact, urgency, tier, assignee, team, escalation_level, description, reopen_count,
  body, create_time, update_time, clock_start, sla_cycle, sla_recorded, sla_next_check,
  first_response_warn, first_response_due, resolution_warn, resolution_due, first_response_time,
  first_response_seconds, first_response_met, resolve_time, resolution_seconds, resolution_met,
  resolved_ever)
SELECT c.id, c.account, c.contact, c.channel, c.kind, c.category, c.status, c.priority, c.impact,
       c.urgency, c.tier, c.assignee, c.team, c.escalation_level, c.description,
       CASE WHEN c.r3 < 0.03 THEN 1 ELSE 0 END,
       pg_temp.pb_text(2, c.account) || pg_temp.pb_text(3, c.contact) ||
         pg_temp.pb_int(4, c.channel) || pg_temp.pb_int(5, c.kind) ||
         pg_temp.pb_int(6, c.category) || pg_temp.pb_text(7, c.description) ||
         pg_temp.pb_int(8, c.impact) || pg_temp.pb_int(9, c.urgency) ||
         pg_temp.pb_int(10, c.tier) || pg_temp.pb_int(11, c.priority) ||
         pg_temp.pb_text(14, c.assignee) || pg_temp.pb_text(15, c.team) ||
         pg_temp.pb_int(16, c.status) || pg_temp.pb_int(17, c.escalation_level),
       c.create_time,
       c.create_time + c.r1 * interval '5 days',
       c.create_time, 1, 0,
       -- Open cases: the next check is the first-response warning, or the resolution's; one in a
       -- hundred is due now.
       CASE WHEN c.status IN (4, 6, 7) THEN NULL
            WHEN c.r1 < 0.01 THEN now() - interval '1 minute'
            ELSE now() + interval '1 hour' + c.r1 * interval '5 days' END,
       c.create_time + interval '3 hours', c.create_time + interval '4 hours',
       c.create_time + interval '4 days', c.create_time + interval '5 days',
       CASE WHEN c.open AND c.status = 1 THEN NULL
            ELSE c.create_time + c.r1 * interval '6 hours' END,
       CASE WHEN c.open AND c.status = 1 THEN NULL ELSE (c.r1 * 21600)::bigint END,
       CASE WHEN c.open AND c.status = 1 THEN NULL ELSE c.r1 < 0.67 END,
       CASE WHEN c.status = 7 THEN c.create_time + c.r3 * interval '8 days'
            WHEN c.status = 6 THEN greatest(c.create_time, now() - c.r3 * interval '12 hours') END,
       CASE WHEN c.status IN (6, 7) THEN (c.r3 * 691200)::bigint END,
       CASE WHEN c.status IN (6, 7) THEN c.r3 < 0.62 END,
       c.status IN (6, 7)
FROM c
-- In the order they were opened, as a live table has them (a quarter's cases on a quarter's pages).
ORDER BY c.create_time;
