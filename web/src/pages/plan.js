// The day's plan for the office: the decisions by treatment, the
// approval (a manager approves or rejects what the nightly batch wrote),
// and each team's route on a map with its members and stops.
import { h, mount } from '../dom.js';
import { t, tv } from '../i18n/index.js';
import { get, post, session } from '../api.js';
import { yuan, num, today, time } from '../format.js';
import { errorBox, loading, table } from './common.js';
import { routeMap } from '../components/map.js';

const DECIDERS = ['admin', 'manager'];

function approvalBox(date, a, onDone) {
  const status = h('span', { class: `badge approval-${a.status}`, 'data-testid': 'approval-status' }, tv('approval', a.status));
  const note = h('input', { type: 'text', maxlength: 200, placeholder: t('plan.note'), 'data-testid': 'approval-note' });
  const msg = h('div');
  const decide = (approve) => async () => {
    mount(msg);
    try {
      await post('/api/plan/approve', { date, approve, note: note.value || undefined });
      onDone();
    } catch (e) { mount(msg, errorBox(e)); }
  };
  const canDecide = DECIDERS.includes(session.role) && a.decisions > 0 && (a.status === 'none' || a.status === 'stale');
  return h('div', { class: 'approval' },
    h('p', null, t('plan.approval'), ' ', status),
    a.decided_by ? h('p', { class: 'muted' }, t('plan.decidedBy', { who: a.decided_by, at: time(a.decided_at, true) }),
      a.note ? ` — ${a.note}` : '') : null,
    a.made_by ? h('p', { class: 'muted' }, t('plan.madeBy', { who: a.made_by })) : null,
    a.digest ? h('p', { class: 'muted mono', title: t('plan.digestHelp') }, 'SHA-256 ', a.digest.slice(0, 16), '…') : null,
    a.status === 'stale' ? h('div', { class: 'alert alert-warn' }, t('plan.staleHelp')) : null,
    canDecide ? h('div', { class: 'actions' }, note,
      h('button', { class: 'btn btn-primary', type: 'button', onclick: decide(true), 'data-testid': 'approve' }, t('plan.approve')),
      h('button', { class: 'btn', type: 'button', onclick: decide(false), 'data-testid': 'reject' }, t('plan.reject'))) : null,
    msg);
}

function teamView(team, go) {
  const stops = team.stops || [];
  return h('div', { class: 'team', 'data-testid': 'team' },
    h('p', null, h('strong', null, team.team_id), ' · ',
      (team.members || []).map((m) => `${m.name}（${tv('role', m.role)}）`).join('、')),
    routeMap(stops, (s) => go(`#/visits/${s.visit_id}`)),
    table([
      { label: t('visit.seq'), num: true, get: (s) => String(s.route_seq ?? '—') },
      { label: t('plan.window'), get: (s) => `${time(s.window_start_at)}–${time(s.window_end_at)}` },
      { label: t('acc.id'), get: (s) => s.account_id },
      { label: t('acc.community'), get: (s) => s.community_id || '—' },
      { label: t('visit.state'), get: (s) => h('span', { class: `state s-${s.state}` }, tv('state', s.state)) },
    ], stops, { onRow: (s) => go(`#/visits/${s.visit_id}`) }));
}

export function planPage(app, { query, go }) {
  const date = query.get('date') || today();
  const dateIn = h('input', { type: 'date', value: date, onchange: () => go(`#/plan?date=${dateIn.value}`) });
  const planBox = h('div', null, loading());
  const routeBox = h('div', null, loading());
  mount(app,
    h('div', { class: 'page-head' }, h('h1', null, t('plan.title')),
      h('label', { class: 'inline' }, t('dash.planDate'), ' ', dateIn)),
    h('section', { class: 'card', 'data-testid': 'plan' }, h('h2', null, t('dash.plan')), planBox),
    h('section', { class: 'card', 'data-testid': 'routes' }, h('h2', null, t('plan.routes')), routeBox));

  const loadPlan = () => get('/api/plan', { date }).then((p) => {
    if (!app.isConnected) return;
    mount(planBox,
      p.accounts ? table([
        { label: t('dash.treatment'), get: (r) => tv('treat', r.treatment) },
        { label: t('dash.series.accounts'), num: true, get: (r) => num(r.accounts) },
        { label: t('dash.kpi.heldOut'), num: true, get: (r) => num(r.held_out) },
        { label: t('dash.kpi.planExpected'), num: true, get: (r) => yuan(r.expected_fen) },
        { label: t('dash.kpi.planCost'), num: true, get: (r) => yuan(r.cost_fen) },
      ], [...p.treatments, { treatment: t('dash.total'), accounts: p.accounts, held_out: p.held_out, expected_fen: p.expected_fen, cost_fen: p.cost_fen }])
        : h('p', { class: 'empty' }, t('dash.noPlan')),
      approvalBox(date, p.approval, loadPlan));
  }).catch((e) => app.isConnected && mount(planBox, errorBox(e)));
  loadPlan();

  get('/api/routes', { date }).then((r) => {
    if (!app.isConnected) return;
    const teams = r.teams.filter((x) => (x.stops || []).length);
    if (!teams.length) { mount(routeBox, h('p', { class: 'empty' }, t('plan.noRoutes'))); return; }
    const pick = h('select', { 'data-testid': 'team-pick' }, teams.map((x, i) =>
      h('option', { value: String(i) }, `${x.team_id}（${t('plan.stops', { n: x.stops.length })}）`)));
    const view = h('div');
    const show = () => mount(view, teamView(teams[Number(pick.value)], go));
    pick.onchange = show;
    mount(routeBox,
      h('p', { class: 'muted' }, t('plan.routesSummary', { teams: num(teams.length), visits: num(r.visits) }),
        r.positions ? null : ` — ${t('plan.noPositions')}`),
      h('label', { class: 'inline' }, t('visit.team'), ' ', pick), view);
    show();
  }).catch((e) => app.isConnected && mount(routeBox, errorBox(e)));
}
