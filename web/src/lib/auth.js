// The signed-in user: a bearer token (the dev token from scripts/up.sh, or an OIDC provider's
// access token) kept for the tab's session. The console reads the claims only to decide what to
// show; every call is still authorised by the services.

const KEY = 'accord.token';

export const ROLES = [
  'account_manager',
  'sales_assistant',
  'service_agent',
  'service_supervisor',
  'pricing_manager',
  'integration',
  'admin',
];

function decodeSegment(segment) {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

// Claims of a JWT, or an Error saying why not. The signature is the server's business.
export function parseToken(token) {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return new Error('token.malformed');
  let claims;
  try {
    claims = decodeSegment(parts[1]);
  } catch {
    return new Error('token.malformed');
  }
  if (typeof claims !== 'object' || claims === null) return new Error('token.malformed');
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) return new Error('token.expired');
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r) => ROLES.includes(r)) : [];
  if (roles.length === 0) return new Error('token.noRole');
  return {
    subject: String(claims.sub ?? ''),
    roles,
    territories: Array.isArray(claims.territories) ? claims.territories.map(String) : [],
    expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null,
  };
}

let current = null;

export function session() {
  if (current) return current;
  const token = sessionStorage.getItem(KEY);
  if (!token) return null;
  const claims = parseToken(token);
  if (claims instanceof Error) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  current = { token, ...claims };
  return current;
}

export function signIn(token) {
  const claims = parseToken(token);
  if (claims instanceof Error) return claims;
  sessionStorage.setItem(KEY, token.trim());
  current = { token: token.trim(), ...claims };
  return current;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  current = null;
}

export function hasAny(...roles) {
  const s = session();
  return !!s && (s.roles.includes('admin') || roles.some((r) => s.roles.includes(r)));
}
