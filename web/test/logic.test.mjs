// The console's pure rules under Node's test runner (ctest web_unit, label unit).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountFilter, literal, queueOrder, weeks } from '../src/lib/logic.js';
import { ApiError, fieldKey } from '../src/lib/api.js';
import { parseToken } from '../src/lib/auth.js';

test('account filter: each choice becomes one AIP-160 comparison, search text stays a literal', () => {
  assert.equal(accountFilter({}, 'amy'), '');
  assert.equal(
    accountFilter({ search: 'Formosa', lifecycle: 'LIFECYCLE_STAGE_ACTIVE', tier: 'ACCOUNT_TIER_KEY', mine: true }, 'amy'),
    '"Formosa" AND lifecycle_stage = LIFECYCLE_STAGE_ACTIVE AND tier = ACCOUNT_TIER_KEY AND owner = "amy"',
  );
  assert.equal(literal('a "b" OR c\\'), '"a \\"b\\" OR c\\\\"');
  assert.equal(accountFilter({ search: '" OR owner = "x' }, 'amy'), '"\\" OR owner = \\"x"');
});

test('case queue: priority first, then the least time to breach, cases without an SLA last', () => {
  const c = (name, priority, remaining) => ({ name, priority, sla: remaining === undefined ? undefined : { remaining } });
  const list = [
    c('low', 'PRIORITY_LOW', '10s'),
    c('high-later', 'PRIORITY_HIGH', '3600s'),
    c('high-none', 'PRIORITY_HIGH'),
    c('high-breached', 'PRIORITY_HIGH', '-120s'),
    c('critical', 'PRIORITY_CRITICAL', '7200s'),
    c('high-soon', 'PRIORITY_HIGH', '60.5s'),
  ];
  assert.deepEqual(list.sort(queueOrder).map((x) => x.name), ['critical', 'high-breached', 'high-soon', 'high-later', 'high-none', 'low']);
});

test('weeks: consecutive, oldest first, the last ending at the next UTC midnight', () => {
  const w = weeks(3, new Date('2026-12-06T07:30:00Z'));
  assert.equal(w.length, 3);
  assert.equal(w[2].end.toISOString(), '2026-12-07T00:00:00.000Z');
  assert.equal(w[0].start.toISOString(), '2026-11-16T00:00:00.000Z');
  for (let i = 1; i < w.length; i += 1) assert.equal(w[i].start.getTime(), w[i - 1].end.getTime());
});

test('field paths of violations match the forms\' fields', () => {
  assert.equal(fieldKey('account.display_name'), 'display_name');
  assert.equal(fieldKey('account.displayName'), 'display_name');
  assert.equal(fieldKey('contact.emails[0].address'), 'emails[0].address');
  assert.equal(fieldKey('lines[3].sku'), 'lines[3].sku');
  assert.equal(fieldKey('accountTier'), 'account_tier');
});

test('ApiError reads google.rpc.Status: code, reason, violations; the HTTP status when no body', () => {
  const e = new ApiError(400, {
    code: 3,
    message: 'bad',
    details: [
      { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'account.display_name', description: 'required' }] },
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'FIELD_REQUIRED', metadata: { a: '1' } },
    ],
  });
  assert.equal(e.code, 3);
  assert.equal(e.reason, 'FIELD_REQUIRED');
  assert.deepEqual(e.fieldViolations, [{ field: 'display_name', description: 'required' }]);
  assert.equal(e.conflict, false);
  assert.equal(new ApiError(409, null).conflict, true);
  assert.equal(new ApiError(502, null).code, 2);
});

test('tokens: roles read from the claims, unknown roles dropped; malformed, expired and role-less refused', () => {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = (claims) => `${b64({ alg: 'HS256' })}.${b64(claims)}.sig`;
  const exp = Math.floor(Date.now() / 1000) + 600;
  const ok = parseToken(token({ sub: 'amy', roles: ['account_manager', 'astronaut'], exp }));
  assert.deepEqual(ok.roles, ['account_manager']);
  assert.equal(ok.subject, 'amy');
  assert.equal(parseToken('abc').message, 'token.malformed');
  assert.equal(parseToken('a.!!!.c').message, 'token.malformed');
  assert.equal(parseToken(token({ sub: 'amy', roles: ['admin'], exp: 1 })).message, 'token.expired');
  assert.equal(parseToken(token({ sub: 'amy', roles: ['astronaut'], exp })).message, 'token.noRole');
  // Claims in UTF-8 (a zh-TW subject) decode intact.
  assert.equal(parseToken(token({ sub: '陳美玲', roles: ['admin'], exp })).subject, '陳美玲');
});
