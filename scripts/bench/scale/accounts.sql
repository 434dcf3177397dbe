-- Seeds :n accounts with the variety account managers' filters meet: Latin and Chinese company
-- names, 500 owners, 20 territories, tiers and stages in realistic shares, labels common and
-- rare, an ERP id on every account and an SAP id on some, one or two team members each, and a
-- parent on every twentieth. Deterministic (setseed). psql -v n=1000000 -f accounts.sql
SELECT setseed(0.2026);

CREATE TEMP TABLE latin (i int, w text);
INSERT INTO latin SELECT row_number() OVER (), w FROM unnest(ARRAY[
  'Globex', 'Initech', 'Hooli', 'Umbrella', 'Acme', 'Stark', 'Wayne', 'Tyrell', 'Cyberdyne',
  'Soylent', 'Wonka', 'Vandelay', 'Gringotts', 'Monarch', 'Oscorp', 'Pied', 'Piper', 'Aperture',
  'Black', 'Mesa', 'Nakatomi', 'Zorg', 'Dunder', 'Mifflin', 'Sterling', 'Cooper', 'Prestige',
  'Virtucon', 'Massive', 'Dynamic', 'North', 'Pacific', 'Atlas', 'Orion', 'Summit', 'Harbor',
  'Golden', 'Silver', 'Blue', 'River']) AS w;
CREATE TEMP TABLE han (i int, c text);
INSERT INTO han SELECT row_number() OVER (), c FROM unnest(ARRAY[
  '台', '積', '電', '鴻', '海', '統', '一', '塑', '膠', '化', '學', '華', '碩', '宏', '碁', '聯',
  '發', '科', '技', '光', '寶', '中', '鋼', '長', '榮', '航', '運', '國', '泰', '富', '邦', '玉',
  '山', '金', '遠', '傳', '大', '立', '新', '東']) AS c;

CREATE TEMP TABLE seed AS
SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
       1 + floor(random() * 40)::int AS a, 1 + floor(random() * 40)::int AS b,
       1 + floor(random() * 40)::int AS c, random() AS r6
FROM generate_series(1, :n) AS i;

INSERT INTO account.accounts (id, display_name, legal_name, type, lifecycle_stage, owner, tier,
                              industry, size_band, territory, labels, tax_id, create_time,
                              update_time)
SELECT ('00000000-0001-7000-8000-' || lpad(to_hex(s.i), 12, '0'))::uuid,
       CASE WHEN s.r1 < 0.3
            THEN h1.c || h2.c || h3.c || CASE WHEN s.r2 < 0.5 THEN '' ELSE s.i::text END
            ELSE l1.w || ' ' || l2.w || ' ' || to_hex(s.i) END,
       CASE WHEN s.r1 < 0.3 THEN h1.c || h2.c || h3.c || '股份有限公司'
            ELSE l1.w || ' ' || l2.w || ' ' || l3.w || ' GmbH' END,
       -- r6 of its own: drawn from r2, which also sets the times, every non-commercial account
       -- was older than every commercial one, and `type != COMMERCIAL` newest first read 800 000
       -- accounts before its first match (no planner statistic sees such a correlation).
       CASE WHEN s.r6 < 0.8 THEN 1 WHEN s.r6 < 0.9 THEN 2 ELSE 3 END,
       CASE WHEN s.r3 < 0.15 THEN 1 WHEN s.r3 < 0.75 THEN 2 WHEN s.r3 < 0.85 THEN 3
            WHEN s.r3 < 0.97 THEN 4 ELSE 5 END,
       'manager-' || (s.i % 500),
       CASE WHEN s.r4 < 0.02 THEN 1 WHEN s.r4 < 0.15 THEN 2 ELSE 3 END,
       'industry-' || (s.i % 30),
       (s.i % 6),
       (ARRAY['tw', 'jp', 'us', 'de', 'fr', 'gb', 'kr', 'sg', 'hk', 'cn', 'vn', 'th', 'my', 'id',
              'ph', 'au', 'nz', 'ca', 'mx', 'br'])[1 + s.i % 20],
       CASE WHEN s.r5 < 0.05 THEN ARRAY['vip']
            WHEN s.r5 < 0.35 THEN ARRAY['segment-' || (s.i % 20)]
            WHEN s.r5 < 0.3501 THEN ARRAY['rare']
            ELSE '{}'::text[] END,
       '8' || lpad(s.i::text, 7, '0'),
       now() - (s.r2 * interval '5 years'),
       now() - (s.r2 * s.r3 * interval '5 years')
FROM seed s
JOIN latin l1 ON l1.i = s.a JOIN latin l2 ON l2.i = s.b JOIN latin l3 ON l3.i = s.c
JOIN han h1 ON h1.i = s.a JOIN han h2 ON h2.i = s.b JOIN han h3 ON h3.i = s.c;

UPDATE account.accounts SET parent_id = ('00000000-0001-7000-8000-' ||
                                         lpad(to_hex(s.i - 1), 12, '0'))::uuid
FROM seed s
WHERE s.i % 20 = 0
  AND id = ('00000000-0001-7000-8000-' || lpad(to_hex(s.i), 12, '0'))::uuid;

INSERT INTO account.external_ids (system, external_id, account_id)
SELECT 'erp', 'C-' || s.i, ('00000000-0001-7000-8000-' || lpad(to_hex(s.i), 12, '0'))::uuid
FROM seed s;
INSERT INTO account.external_ids (system, external_id, account_id)
SELECT 'sap', 'S' || s.i, ('00000000-0001-7000-8000-' || lpad(to_hex(s.i), 12, '0'))::uuid
FROM seed s WHERE s.r4 < 0.3;

INSERT INTO account.team_members (id, account_id, member, role)
SELECT gen_random_uuid(), ('00000000-0001-7000-8000-' || lpad(to_hex(s.i), 12, '0'))::uuid,
       'user-' || (s.i % 5000), 1
FROM seed s;
INSERT INTO account.team_members (id, account_id, member, role)
SELECT gen_random_uuid(), ('00000000-0001-7000-8000-' || lpad(to_hex(s.i), 12, '0'))::uuid,
       'user-' || ((s.i * 7) % 5000 + 5000), 2
FROM seed s WHERE s.r5 < 0.5;
