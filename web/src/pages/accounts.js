// The accounts list (filters, pages) and one account.
import { h, mount, field, formData, select } from '../dom.js';
import { t, tv } from '../i18n/index.js';
import { get } from '../api.js';
import { yuan, num } from '../format.js';
import { errorBox, loading, table, kv } from './common.js';

const BUCKETS = ['M0', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7+'];
const LIMIT = 50;

export function accountsPage(app, { query, go }) {
  const q = { as_of: query.get('as_of') || '', community: query.get('community') || '', bucket: query.get('bucket') || '' };
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const to = (patch) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...q, offset: 0, ...patch })) if (v) p.set(k, v);
    go(`#/accounts?${p}`);
  };
  const form = h('form', { class: 'filters', onsubmit: (ev) => { ev.preventDefault(); to(formData(form)); } },
    field(t('acc.asOfLabel'), h('input', { type: 'date', name: 'as_of', value: q.as_of })),
    field(t('acc.community'), h('input', { name: 'community', value: q.community, placeholder: t('acc.communityPh') })),
    field(t('acc.bucket'), select('bucket', [['', t('acc.allBuckets')], ...BUCKETS.map((b) => [b, b])], q.bucket)),
    h('button', { class: 'btn btn-primary', type: 'submit' }, t('acc.filter')));
  const list = h('div', null, loading());
  mount(app, h('div', { class: 'page-head' }, h('h1', null, t('acc.title'))), h('section', { class: 'card' }, form, list));

  get('/api/accounts', { ...q, limit: LIMIT, offset }).then((r) => {
    if (!app.isConnected) return;
    const from = r.items.length ? r.offset + 1 : 0;
    mount(list,
      r.items.length ? table([
        { label: t('acc.id'), get: (a) => a.account_id },
        { label: t('acc.name'), get: (a) => a.name },
        { label: t('acc.phone'), get: (a) => a.phone },
        { label: t('acc.community'), get: (a) => a.community_id },
        { label: t('acc.product'), get: (a) => tv('product', a.product) },
        { label: t('acc.bucket'), get: (a) => h('span', { class: `bucket b-${a.bucket.replace('+', 'p')}` }, a.bucket) },
        { label: t('acc.dpd'), num: true, get: (a) => num(a.dpd) },
        { label: t('acc.overdue'), num: true, get: (a) => yuan(a.overdue_fen) },
        { label: t('acc.balance'), num: true, get: (a) => yuan(a.balance_fen) },
      ], r.items, { onRow: (a) => go(`#/accounts/${encodeURIComponent(a.account_id)}`) }) : h('p', { class: 'empty' }, t('app.empty')),
      h('div', { class: 'pager' },
        h('button', { class: 'btn', type: 'button', disabled: offset === 0, onclick: () => to({ offset: Math.max(0, offset - LIMIT) }) }, t('acc.prev')),
        h('span', null, t('acc.pageInfo', { from, to: r.offset + r.items.length, total: num(r.total) }), ' · ', `${t('dash.asOf')} ${r.as_of}`),
        h('button', { class: 'btn', type: 'button', disabled: r.next_offset == null, onclick: () => to({ offset: r.next_offset }) }, t('acc.next'))));
  }).catch((e) => app.isConnected && mount(list, errorBox(e)));
}

export function accountPage(app, { params }) {
  const [id] = params;
  mount(app, loading());
  get(`/api/accounts/${encodeURIComponent(id)}`).then((a) => {
    if (!app.isConnected) return;
    const b = a.borrower || {};
    const sc = a.score;
    mount(app,
      h('div', { class: 'page-head' }, h('a', { class: 'btn-link', href: '#/accounts' }, '← ', t('app.back')),
        h('h1', null, t('acc.detail'), ' ', a.account_id),
        h('span', { class: a.masked ? 'badge' : 'badge badge-warn' }, a.masked ? t('acc.masked') : t('acc.unmasked'))),
      h('div', { class: 'grid2' },
        h('section', { class: 'card' }, h('h2', null, t('acc.detail')), kv([
          [t('acc.product'), tv('product', a.product)], [t('acc.status'), tv('status', a.status)], [t('acc.branch'), a.branch_id],
          [t('acc.balance'), yuan(a.balance_fen)], [t('acc.principal'), yuan(a.principal_fen)],
          [t('dash.asOf'), a.as_of], [t('acc.dpd'), num(a.dpd)], [t('acc.bucket'), a.bucket],
          [t('acc.overdue'), yuan(a.overdue_fen)], [t('acc.oldestUnpaid'), a.oldest_unpaid]])),
        h('section', { class: 'card' }, h('h2', null, t('acc.borrower')), kv([
          [t('acc.borrower'), b.borrower_id], [t('acc.name'), b.name], [t('acc.phone'), b.phone],
          [t('acc.nationalId'), b.national_id], [t('acc.address'), b.address], [t('acc.community'), b.community_id]]))),
      h('section', { class: 'card' }, h('h2', null, t('acc.score')), sc ? [kv([
        [t('dash.asOf'), sc.score_date],
        [t('acc.ability'), sc.ability == null ? '—' : Number(sc.ability).toFixed(3)],
        [t('acc.willingness'), sc.willingness == null ? '—' : Number(sc.willingness).toFixed(3)],
        [t('acc.quadrant'), sc.quadrant]]),
      sc.reasons ? h('pre', { class: 'reasons' }, JSON.stringify(sc.reasons, null, 2)) : null] : h('p', { class: 'empty' }, t('acc.noScore'))));
  }).catch((e) => app.isConnected && mount(app, errorBox(e)));
}

