-- Seeds :n price-list items in four price lists (70 %, 20 %, 9 % and 1 % of them: a full catalogue,
-- a regional list, a distributor's and a small promotion): SKUs, product names in English and
-- Chinese, 200 categories, units, prices. Deterministic (setseed). The lists are
-- priceLists/00000000-0004-7000-8000-00000000000{1,2,3,4}. psql -v n=1000000 -f items.sql
SELECT setseed(0.2026);
\ir protobuf.sql

INSERT INTO pricing_terms.price_lists (id, display_name, currency_code, status, author, body)
SELECT ('00000000-0004-7000-8000-' || lpad(l::text, 12, '0'))::uuid, name, 'TWD', 2, 'bench',
       pg_temp.pb_text(2, name) || pg_temp.pb_text(3, 'TWD') ||
         pg_temp.pb_bytes(4, pg_temp.pb_int(1, 2026) || pg_temp.pb_int(2, 1) || pg_temp.pb_int(3, 1)) ||
         pg_temp.pb_int(6, 2)
FROM unnest(ARRAY['Catalogue 2026', 'North region', 'Distributor', 'Spring promotion'])
  WITH ORDINALITY AS t(name, l);

CREATE TEMP TABLE words (i int, en text, zh text);
INSERT INTO words SELECT row_number() OVER (), en, zh FROM unnest(
  ARRAY['Bolt', 'Nut', 'Washer', 'Bearing', 'Valve', 'Pump', 'Cable', 'Switch', 'Relay', 'Sensor',
        'Motor', 'Gear', 'Belt', 'Filter', 'Hose', 'Clamp', 'Bracket', 'Panel', 'Fuse', 'Lamp'],
  ARRAY['螺栓', '螺帽', '墊圈', '軸承', '閥門', '幫浦', '電纜', '開關', '繼電器', '感測器',
        '馬達', '齒輪', '皮帶', '濾網', '軟管', '夾具', '支架', '面板', '保險絲', '燈具'])
  AS t(en, zh);

INSERT INTO pricing_terms.price_list_items (price_list_id, sku, id, product_name, category, unit,
                                            body, create_time, update_time)
SELECT ('00000000-0004-7000-8000-' || lpad(x.list::text, 12, '0'))::uuid, x.sku,
       ('00000000-0005-7000-8000-' || lpad(to_hex(x.i), 12, '0'))::uuid, x.name, x.category,
       x.unit,
       pg_temp.pb_text(2, x.sku) || pg_temp.pb_text(3, x.name) || pg_temp.pb_text(4, x.category) ||
         pg_temp.pb_text(5, x.unit) ||
         pg_temp.pb_bytes(6, pg_temp.pb_text(1, 'TWD') || pg_temp.pb_int(2, x.units)),
       x.create_time, x.update_time
FROM (
  SELECT s.i,
         CASE WHEN s.i <= :n * 0.7 THEN 1 WHEN s.i <= :n * 0.9 THEN 2
              WHEN s.i <= :n * 0.99 THEN 3 ELSE 4 END AS list,
         'SKU-' || lpad(s.i::text, 8, '0') AS sku,
         CASE WHEN random() < 0.3
              THEN w1.zh || w2.zh || ' ' || (1 + s.i % 97) || ' 型'
              ELSE w1.en || ' ' || w2.en || ' M' || (1 + s.i % 97) || ' ' || to_hex(s.i) END AS name,
         'category-' || (s.i % 200) AS category,
         (ARRAY['pcs', 'box', 'kg', 'm'])[1 + s.i % 4] AS unit,
         (10 + floor(random() * 5000))::bigint AS units,
         now() - random() * interval '3 years' AS create_time,
         now() - random() * random() * interval '3 years' AS update_time
  FROM generate_series(1, :n) AS s(i)
  JOIN words w1 ON w1.i = 1 + (s.i * 7) % 20
  JOIN words w2 ON w2.i = 1 + (s.i * 13 / 20) % 20
) x;
