// The manager's dashboard: KPIs, the portfolio by bucket and community, the day's plan.
import { h, mount } from '../dom.js';
import { t, tv } from '../i18n/index.js';
import { get, session } from '../api.js';
import { yuan, yuanShort, num, today, time } from '../format.js';
import { errorBox, loading, table } from './common.js';

const BUCKETS = ['M0', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7+'];

function kpi(label, value, sub) {
  return h('div', { class: 'kpi' }, h('div', { class: 'kpi-label' }, label), h('div', { class: 'kpi-value' }, value),
    sub ? h('div', { class: 'kpi-sub' }, sub) : null);
}

export function dashboardPage(app, { query, go }) {
  const charts = [];
  const date = query.get('date') || today();
  const kpis = h('div', { class: 'kpis' }, loading());
  const bucketBox = h('div', { class: 'chart' });
  const commBox = h('div', { class: 'chart chart-tall' });
  const tableBox = h('div', null, loading());
  const planBox = h('div', null, loading());
  const visitsBox = h('div', null, loading());
  const asOf = h('span', { class: 'muted' });
  const dateIn = h('input', { type: 'date', value: date, onchange: () => go(`#/dashboard?date=${dateIn.value}`) });

  mount(app,
    h('div', { class: 'page-head' }, h('h1', null, t('dash.title')), asOf,
      h('label', { class: 'inline' }, t('dash.planDate'), ' ', dateIn)),
    kpis,
    h('div', { class: 'grid2' },
      h('section', { class: 'card' }, h('h2', null, t('dash.byBucket')), bucketBox),
      h('section', { class: 'card' }, h('h2', null, t('dash.plan'), ' ', h('span', { class: 'muted' }, date)), planBox)),
    h('section', { class: 'card' }, h('h2', null, t('dash.byCommunity')), commBox),
    h('section', { class: 'card' }, h('h2', null, t('dash.table')), tableBox),
    session.role === 'analyst' ? null : h('section', { class: 'card' }, h('h2', null, t('dash.visits'), ' ', h('span', { class: 'muted' }, date)), visitsBox));

  if (session.role !== 'analyst') {
    get('/api/visits', { date, limit: 200 }).then((r) => {
      if (!app.isConnected) return;
      mount(visitsBox, r.items.length ? table([
        { label: t('visit.team'), get: (v) => v.team_id || '—' },
        { label: t('visit.seq'), num: true, get: (v) => String(v.route_seq ?? '—') },
        { label: t('visit.planned'), get: (v) => time(v.planned_at) },
        { label: t('acc.id'), get: (v) => v.account_id },
        { label: t('acc.name'), get: (v) => v.name },
        { label: t('acc.community'), get: (v) => v.community_id },
        { label: t('visit.state'), get: (v) => h('span', { class: `state s-${v.state}` }, tv('state', v.state)) },
      ], r.items, { onRow: (v) => go(`#/visits/${v.visit_id}`) }) : h('p', { class: 'empty' }, t('app.empty')),
      r.next_offset != null ? h('p', { class: 'muted' }, t('dash.visitsMore', { n: r.items.length })) : null);
    }).catch((e) => app.isConnected && mount(visitsBox, errorBox(e)));
  }

  // ECharts is loaded only here, so the field view on a phone does not download it.
  Promise.all([Promise.allSettled([get('/api/portfolio/summary'), get('/api/plan', { date })]), import('../components/chart.js')]).then(([[sum, plan], { barChart }]) => {
    if (!app.isConnected) return;
    const p = plan.status === 'fulfilled' ? plan.value : null;
    if (sum.status === 'rejected') {
      mount(kpis, errorBox(sum.reason)); mount(tableBox); bucketBox.remove(); commBox.remove();
    } else {
      const s = sum.value;
      asOf.textContent = `${t('dash.asOf')} ${s.as_of}`;
      const total = s.communities.find((c) => c.total) || { buckets: {} };
      const rows = s.communities.filter((c) => !c.total);
      const b = (k) => total.buckets[k] || { accounts: 0, overdue_fen: 0, balance_fen: 0 };
      const sumOf = (f, ks = BUCKETS) => ks.reduce((a, k) => a + b(k)[f], 0);
      mount(kpis,
        kpi(t('dash.kpi.accounts'), num(sumOf('accounts'))),
        kpi(t('dash.kpi.overdueAccounts'), num(sumOf('accounts', BUCKETS.slice(1)))),
        kpi(t('dash.kpi.overdue'), yuanShort(sumOf('overdue_fen')), yuan(sumOf('overdue_fen'))),
        kpi(t('dash.kpi.balance'), yuanShort(sumOf('balance_fen'))),
        p ? kpi(t('dash.kpi.planAccounts'), num(p.accounts), `${t('dash.kpi.heldOut')} ${num(p.held_out)}`) : null,
        p ? kpi(t('dash.kpi.planExpected'), yuanShort(p.expected_fen), `${t('dash.kpi.planCost')} ${yuanShort(p.cost_fen)}`) : null);
      charts.push(barChart(bucketBox, { categories: BUCKETS, series: [
        { name: t('dash.series.accounts'), data: BUCKETS.map((k) => b(k).accounts) },
        { name: t('dash.series.overdue'), data: BUCKETS.map((k) => Math.round(b(k).overdue_fen / 100)) }] }));
      const od = (c) => BUCKETS.reduce((a, k) => a + ((c.buckets[k] || {}).overdue_fen || 0), 0);
      const top = [...rows].sort((x, y) => od(y) - od(x)).slice(0, 15);
      const cname = (c) => (c.community_id ? c.community || c.community_id : t('dash.noCommunity'));
      charts.push(barChart(commBox, { horizontal: true, categories: top.map(cname), series: [
        { name: t('dash.series.overdue'), data: top.map((c) => Math.round(od(c) / 100)) }] }));
      const cnt = (c, k) => (c.buckets[k] || {}).accounts || 0;
      mount(tableBox, table([
        { label: t('dash.community'), get: (c) => (c.total ? t('dash.total') : `${cname(c)} ${c.community_id ? `(${c.community_id})` : ''}`) },
        ...BUCKETS.map((k) => ({ label: k, num: true, get: (c) => num(cnt(c, k)) })),
        { label: t('acc.overdue'), num: true, get: (c) => yuanShort(od(c)) },
      ], [...rows, total], { onRow: (c) => c.community_id && go(`#/accounts?community=${encodeURIComponent(c.community_id)}`) }));
    }
    if (!p) mount(planBox, errorBox(plan.reason));
    else if (!p.treatments || !p.treatments.length) mount(planBox, h('p', { class: 'empty' }, t('dash.noPlan')));
    else mount(planBox, table([
      { label: t('dash.treatment'), get: (r) => tv('treat', r.treatment) },
      { label: t('dash.series.accounts'), num: true, get: (r) => num(r.accounts) },
      { label: t('dash.kpi.heldOut'), num: true, get: (r) => num(r.held_out) },
      { label: t('dash.kpi.planExpected'), num: true, get: (r) => yuan(r.expected_fen) },
      { label: t('dash.kpi.planCost'), num: true, get: (r) => yuan(r.cost_fen) },
    ], [...p.treatments, { treatment: t('dash.total'), accounts: p.accounts, held_out: p.held_out, expected_fen: p.expected_fen, cost_fen: p.cost_fen }]));
  });
  return () => charts.forEach((c) => c.dispose());
}
