// Start-up, the top bar and hash routing.
import './style.css';
import { h, mount } from './dom.js';
import { t, getLang, setLang, onLang } from './i18n/index.js';
import { session, me, logout, setUnauthenticatedHandler, isField, OFFICE_ROLES } from './api.js';
import { loadConfig } from './config.js';
import * as outbox from './outbox.js';
import { loginPage } from './pages/login.js';
import { dashboardPage } from './pages/dashboard.js';
import { planPage } from './pages/plan.js';
import { accountsPage, accountPage } from './pages/accounts.js';
import { visitPage } from './pages/visit.js';
import { fieldPage, fieldVisitPage } from './pages/field.js';
import { calcPage } from './pages/calc.js';
import { outboxPage } from './pages/outbox.js';

const app = document.getElementById('app');
const bar = document.getElementById('topbar');

// [pattern, page, roles allowed (null: any logged-in user)]
const ROUTES = [
  [/^\/dashboard$/, dashboardPage, OFFICE_ROLES],
  [/^\/plan$/, planPage, OFFICE_ROLES],
  [/^\/accounts$/, accountsPage, [...OFFICE_ROLES, 'collector']],
  [/^\/accounts\/([^/]+)$/, accountPage, [...OFFICE_ROLES, 'collector']],
  [/^\/visits\/(\d+)$/, visitPage, ['admin', 'manager', 'auditor', 'collector', 'community_worker']],
  [/^\/field$/, fieldPage, ['collector', 'community_worker']],
  [/^\/field\/(\d+)$/, fieldVisitPage, ['collector', 'community_worker']],
  [/^\/calc$/, calcPage, null],
  [/^\/outbox$/, outboxPage, ['collector', 'community_worker', 'manager']],
];

export function home() {
  return isField() ? '#/field' : '#/dashboard';
}

function navLinks() {
  const r = session.role;
  const links = [];
  if (OFFICE_ROLES.includes(r)) links.push(['#/dashboard', t('nav.dashboard')]);
  if (OFFICE_ROLES.includes(r)) links.push(['#/plan', t('nav.plan')]);
  if (OFFICE_ROLES.includes(r) || r === 'collector') links.push(['#/accounts', t('nav.accounts')]);
  if (isField()) links.push(['#/field', t('nav.field')]);
  links.push(['#/calc', t('nav.calc')]);
  if (isField() || r === 'manager') {
    const n = outbox.pendingCount();
    links.push(['#/outbox', t('nav.outbox') + (n ? ` (${n})` : '')]);
  }
  return links;
}

function renderBar() {
  const here = location.hash.split('?')[0];
  mount(bar,
    h('a', { class: 'brand', href: session.user ? home() : '#/login' }, t('app.title')),
    session.user ? h('nav', { class: 'nav' }, navLinks().map(([href, label]) =>
      h('a', { href, class: here.startsWith(href) ? 'active' : null }, label))) : h('span', { class: 'nav' }),
    h('div', { class: 'who' },
      navigator.onLine ? null : h('span', { class: 'badge badge-warn', title: t('app.offline') }, '⚠'),
      session.user ? h('span', { class: 'user' }, session.user, ' · ', t(`role.${session.role}`)) : null,
      h('button', { class: 'btn-link lang', type: 'button', onclick: () => setLang(getLang() === 'en' ? 'zh-CN' : 'en') },
        getLang() === 'en' ? '中文' : 'English'),
      session.user ? h('button', { class: 'btn-link', type: 'button', onclick: async () => { await logout(); go('#/login'); } },
        t('app.logout')) : null));
  document.title = t('app.title');
}

function go(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}

let cleanup = null;
async function route() {
  if (cleanup) { try { cleanup(); } catch { /* gone */ } cleanup = null; }
  const path = (location.hash.replace(/^#/, '').split('?')[0]) || '/';
  const query = new URLSearchParams(location.hash.split('?')[1] || '');
  renderBar();
  if (path === '/login') {
    cleanup = loginPage(app, { onLogin: () => go(home()) }) || null;
    return;
  }
  if (!session.user) { go('#/login'); return; }
  if (path === '/' || path === '') { go(home()); return; }
  for (const [re, page, roles] of ROUTES) {
    const m = path.match(re);
    if (!m) continue;
    if (roles && !roles.includes(session.role)) { // refused: said so, with the way home
      mount(app, h('div', { class: 'alert alert-error', role: 'alert', 'data-testid': 'forbidden' }, t('err.forbidden')),
        h('p', null, h('a', { class: 'btn-link', href: home() }, '← ', t('app.back'))));
      return;
    }
    window.scrollTo(0, 0);
    cleanup = page(app, { params: m.slice(1).map(decodeURIComponent), query, go }) || null;
    return;
  }
  mount(app, h('p', { class: 'empty' }, t('app.notFound')));
}

setUnauthenticatedHandler(() => {
  if (!location.hash.startsWith('#/login')) {
    sessionStorage.setItem('doorstep.expired', '1');
    go('#/login');
  }
});

onLang(() => route());
outbox.onChange(() => renderBar());
window.addEventListener('hashchange', route);
window.addEventListener('online', renderBar);
window.addEventListener('offline', renderBar);

(async function start() {
  mount(app, h('p', { class: 'loading' }, t('app.loading')));
  await loadConfig();
  // A reload keeps the cookie but may have lost this tab's copy of the session.
  try { await me(); } catch { /* offline: keep what sessionStorage had */ }
  outbox.start();
  route();
})();
