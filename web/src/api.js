// The HTTP API: session state (user, role, CSRF token) and a fetch wrapper.
// The session itself is the HttpOnly cookie ds_session; the CSRF token the
// login returns is kept in memory and in sessionStorage (this tab only) and
// sent as X-CSRF-Token with every POST.

const KEY = 'doorstep.session';

export const session = JSON.parse(sessionStorage.getItem(KEY) || 'null') || { user: null, role: null, csrf: null, staff_id: null };

function save() {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function setSession(s) {
  session.user = s.user ?? null;
  session.role = s.role ?? null;
  session.csrf = s.csrf ?? null;
  session.staff_id = s.staff_id ?? null;
  save();
}

export function clearSession() {
  setSession({});
}

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error) || (status === 0 ? 'network' : 'internal');
    this.body = body || {};
    this.retryAfter = retryAfter;
  }
}

let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(f) { onUnauthenticated = f; }

// request('GET', '/api/accounts', {query: {limit: 50}}) -> the parsed JSON.
// Throws ApiError: status 0 for a network failure (nothing reached the server).
export async function request(method, path, { query, body, noAuthRedirect, idempotencyKey } = {}) {
  let url = '.' + path; // relative: the UI may live under a proxy's sub-path
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v != null && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) url += '?' + s;
  }
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  // a retried write is done once: the server keeps the first answer for the key
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let resp;
  try {
    resp = await fetch(url, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, { error: 'network', message: String(e && e.message) });
  }
  let data = null;
  const text = await resp.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { error: 'internal', message: text.slice(0, 200) }; }
  }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data, resp.headers.get('Retry-After'));
    if (resp.status === 401 && !noAuthRedirect) {
      clearSession();
      onUnauthenticated();
    }
    throw err;
  }
  return data;
}

export const get = (path, query) => request('GET', path, { query });
export const post = (path, body) => request('POST', path, { body });

export async function login(user, password) {
  const r = await request('POST', '/api/login', { body: { user, password }, noAuthRedirect: true });
  setSession(r);
  try { await me(); } catch { /* the login's answer is enough */ }
  return r;
}

export async function logout() {
  try { await request('POST', '/api/logout', { body: {}, noAuthRedirect: true }); } catch { /* ended anyway */ }
  clearSession();
}

// Refreshes the session from the cookie (after a reload); null when there is none.
export async function me() {
  try {
    const r = await request('GET', '/api/me', { noAuthRedirect: true });
    setSession(r);
    return r;
  } catch (e) {
    if (e.status === 401) { clearSession(); return null; }
    throw e;
  }
}

export const OFFICE_ROLES = ['admin', 'manager', 'analyst', 'auditor'];
export const FIELD_ROLES = ['collector', 'community_worker'];
export const isField = () => FIELD_ROLES.includes(session.role);
