// The console's pure rules, kept free of the DOM so Node's test runner checks them
// (web/test/logic.test.mjs).

const PRIORITY_RANK = { PRIORITY_CRITICAL: 4, PRIORITY_HIGH: 3, PRIORITY_MEDIUM: 2, PRIORITY_LOW: 1 };
const WEEK = 7 * 86400000;

// An AIP-160 string literal: quotes and backslashes escaped, so search text is never syntax.
export function literal(text) {
  return `"${String(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

// The account list's filter for the form's choices.
export function accountFilter({ search, lifecycle, tier, mine }, subject) {
  const parts = [];
  if (search) parts.push(literal(search));
  if (lifecycle) parts.push(`lifecycle_stage = ${lifecycle}`);
  if (tier) parts.push(`tier = ${tier}`);
  if (mine) parts.push(`owner = ${literal(subject)}`);
  return parts.join(' AND ');
}

const seconds = (d) => (d === undefined || d === null || d === '' ? Infinity : parseFloat(String(d)));

// The case queue: highest priority first; within a priority, the least time left before the
// breach first (a breached case, with negative time left, before one still on track); cases
// without an SLA last.
export function queueOrder(a, b) {
  return (PRIORITY_RANK[b.priority] ?? 0) - (PRIORITY_RANK[a.priority] ?? 0) || seconds(a.sla?.remaining) - seconds(b.sla?.remaining);
}

// `count` week-long periods ending at the next UTC midnight after `now`, oldest first.
export function weeks(count, now = new Date()) {
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Array.from({ length: count }, (_, i) => {
    const stop = end - (count - 1 - i) * WEEK;
    return { start: new Date(stop - WEEK), end: new Date(stop) };
  });
}
