// JSON over HTTP through accord-gateway (AIP-127 routes, proto3 JSON mapping). Errors arrive as
// google.rpc.Status; ApiError keeps its code, reason and field violations so forms can put each
// message at the field it concerns.
import { session } from './auth.js';

export const Code = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};

const HTTP_TO_CODE = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 412: 9, 429: 8, 503: 14, 504: 4 };

// `account.display_name`, `account.displayName`, `lines[3].sku` -> snake_case path without the
// resource prefix the request wraps it in, so it matches a form's data-field.
export function fieldKey(path) {
  return String(path)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/^(account|contact|quote|case|campaign|need|team_member|follow_up|interaction|account_relation|trading_terms)\./, '');
}

export class ApiError extends Error {
  constructor(httpStatus, status) {
    super(status?.message || `HTTP ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.code = typeof status?.code === 'number' ? status.code : (HTTP_TO_CODE[httpStatus] ?? 2);
    this.details = Array.isArray(status?.details) ? status.details : [];
    this.fieldViolations = [];
    this.reason = '';
    this.metadata = {};
    for (const detail of this.details) {
      const type = String(detail['@type'] ?? '');
      if (type.endsWith('google.rpc.BadRequest')) {
        for (const v of detail.fieldViolations ?? []) {
          this.fieldViolations.push({ field: fieldKey(v.field ?? ''), description: String(v.description ?? '') });
        }
      } else if (type.endsWith('google.rpc.ErrorInfo')) {
        this.reason = String(detail.reason ?? '');
        this.metadata = detail.metadata ?? {};
      }
    }
  }
  get conflict() {
    return this.code === Code.ABORTED;
  }
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => q.append(key, String(v)));
    else q.set(key, String(value));
  }
  // %20, not "+", for spaces: a "+" in a query is a plus sign to some servers.
  const text = q.toString().replace(/\+/g, '%20');
  return text ? `?${text}` : '';
}

export async function call(method, path, { params, body, etag, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const s = session();
  if (s) headers.Authorization = `Bearer ${s.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (etag) headers['If-Match'] = `"${etag}"`;
  let response;
  try {
    response = await fetch(`/v1/${path}${query(params)}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, { code: Code.UNAVAILABLE, message: err.message });
  }
  const text = await response.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = { message: text.slice(0, 200) };
    }
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json ?? {};
}

export const get = (path, params, opts) => call('GET', path, { ...opts, params });
export const post = (path, body, opts) => call('POST', path, { ...opts, body });
export const patch = (path, body, opts) => call('PATCH', path, { ...opts, body });
export const del = (path, opts) => call('DELETE', path, opts);

export function requestId() {
  return crypto.randomUUID();
}

// "accounts/0190..." -> "0190...": for URLs of the console itself.
export function idOf(name) {
  return String(name ?? '').split('/').pop();
}
