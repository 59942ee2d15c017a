// The outbox: every POST the field view makes is kept here (localStorage)
// until the server has answered it. Network failures, 5xx, 408 and 429 are
// retried with exponential backoff (on the browser's `online` event and a
// timer); any other 4xx is a refusal: kept with its reason, never resent.
// A 401 leaves the entry queued and sends the user to the login.
// Each entry carries its own Idempotency-Key, so a resend after a lost
// answer is answered from the server's record, never done twice.
import { request, session } from './api.js';

const KEY = 'doorstep.outbox';
const BASE_MS = 5000;
const MAX_MS = 5 * 60 * 1000;
const listeners = new Set();
let running = false;

function load() {
  try { return JSON.parse(localStorage.getItem(KEY) || '[]'); } catch { return []; }
}
function store(items) {
  localStorage.setItem(KEY, JSON.stringify(items));
  listeners.forEach((f) => f(items));
}
function update(id, patch) {
  const items = load();
  const it = items.find((x) => x.id === id);
  if (it) Object.assign(it, patch);
  store(items);
  return it;
}

export function entries() {
  return load().filter((x) => x.user === session.user);
}
export function pendingCount() {
  return entries().filter((x) => x.status === 'queued' || x.status === 'sending').length;
}
export function onChange(f) { listeners.add(f); return () => listeners.delete(f); }

function retryable(status) {
  return status === 0 || status >= 500 || status === 408 || status === 429;
}

// Sends one entry; answers the entry as it stands afterwards.
async function send(it) {
  update(it.id, { status: 'sending' });
  try {
    const result = await request('POST', it.path, { body: it.body, idempotencyKey: `ob-${it.id}` });
    return update(it.id, { status: 'sent', result, sentAt: Date.now(), error: null });
  } catch (e) {
    const attempts = (it.attempts || 0) + 1;
    if (e.status === 401 || retryable(e.status)) {
      const wait = Math.min(MAX_MS, BASE_MS * 2 ** (attempts - 1));
      return update(it.id, { status: 'queued', attempts, nextAt: Date.now() + wait,
        error: { status: e.status, code: e.code, message: e.message } });
    }
    return update(it.id, { status: 'refused', attempts, error: { status: e.status, ...e.body } });
  }
}

// Queues a POST and makes a first attempt at once; answers the entry after it.
export async function enqueue(path, body, meta = {}) {
  const it = {
    id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    user: session.user, path, body, kind: meta.kind || path, label: meta.label || '',
    status: 'queued', attempts: 0, nextAt: 0, createdAt: Date.now(),
  };
  store([...load(), it]);
  if (!navigator.onLine) return it;
  return send(it);
}

// Sends every entry due (or all queued ones when forced).
export async function flush(force) {
  if (running || !session.user) return;
  running = true;
  try {
    for (const it of entries()) {
      if (it.status === 'sending' && !force) continue;
      if (it.status !== 'queued' && it.status !== 'sending') continue;
      if (!force && it.nextAt > Date.now()) continue;
      const after = await send(it);
      if (after && after.status === 'queued' && after.error && after.error.status === 0) break; // still offline
      if (after && after.error && after.error.status === 401) break;
    }
  } finally {
    running = false;
  }
}

export function clearFinished() {
  store(load().filter((x) => !(x.user === session.user && (x.status === 'sent' || x.status === 'refused'))));
}

export function start() {
  // An entry left 'sending' by a closed tab was never answered: send it again.
  store(load().map((x) => (x.status === 'sending' ? { ...x, status: 'queued' } : x)));
  window.addEventListener('online', () => flush(true));
  setInterval(() => flush(false), 10000);
  flush(false);
}
