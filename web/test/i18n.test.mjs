// Every message the console asks for exists in English, and zh-TW translates every one of them.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import en from '../src/i18n/en.js';
import zhTW from '../src/i18n/zh-TW.js';

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
const sources = readdirSync(src, { recursive: true })
  .filter((f) => f.endsWith('.js') && !f.startsWith('i18n'))
  .map((f) => readFileSync(path.join(src, f), 'utf8'))
  .join('\n');

test('every literal t() key is an English message', () => {
  const keys = [...sources.matchAll(/\bt\('([A-Za-z0-9_.]+)'/g)].map((m) => m[1]);
  assert.ok(keys.length > 100, `found only ${keys.length} keys`);
  assert.deepEqual([...new Set(keys.filter((k) => !(k in en)))], []);
});

test('zh-TW has every English message, with the same placeholders', () => {
  const missing = Object.keys(en).filter((k) => !(k in zhTW));
  assert.deepEqual(missing, []);
  const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const [key, text] of Object.entries(en)) {
    assert.deepEqual(placeholders(zhTW[key]), placeholders(text), key);
  }
});
