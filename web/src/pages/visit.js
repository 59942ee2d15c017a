// One visit, read-only: its outcome so far and its events.
import { h, mount } from '../dom.js';
import { t, tv } from '../i18n/index.js';
import { get, isField } from '../api.js';
import { time, num } from '../format.js';
import { errorBox, loading, table, kv } from './common.js';

export function visitSummary(v) {
  return kv([
    [t('visit.id'), String(v.visit_id)], [t('acc.id'), v.account_id], [t('acc.name'), v.name],
    [t('acc.address'), v.address], [t('visit.date'), v.visit_date],
    [t('visit.state'), h('span', { class: `state s-${v.state}` }, tv('state', v.state))],
    [t('visit.team'), v.team_id],
    [t('visit.outcome'), tv('found', v.outcome) || '—'], [t('visit.situation'), tv('situation', v.situation) || '—'],
    [t('visit.attitude'), tv('attitude', v.attitude) || '—'],
    [t('visit.distance'), v.checkin_distance_m == null ? '—' : t('visit.meters', { m: num(Math.round(v.checkin_distance_m)) })]]);
}

export function eventsTable(events) {
  if (!events || !events.length) return h('p', { class: 'empty' }, t('app.empty'));
  return table([
    { label: t('visit.event.at'), get: (e) => time(e.at, true) },
    { label: t('visit.event.actor'), get: (e) => e.actor },
    { label: t('visit.event.event'), get: (e) => `${e.event} (${tv('state', e.from)} → ${tv('state', e.to)})` },
    { label: t('visit.event.reason'), get: (e) => e.reason || '' },
  ], events);
}

export function visitPage(app, { params }) {
  const [id] = params;
  mount(app, loading());
  get(`/api/visits/${id}`).then((v) => {
    if (!app.isConnected) return;
    mount(app,
      h('div', { class: 'page-head' }, h('button', { class: 'btn-link', type: 'button', onclick: () => (isField() ? (location.hash = '#/field') : history.back()) }, '← ', t('app.back')),
        h('h1', null, t('visit.title'), ' ', String(v.visit_id))),
      h('section', { class: 'card' }, visitSummary(v)),
      h('section', { class: 'card' }, h('h2', null, t('visit.events')), eventsTable(v.events)));
  }).catch((e) => app.isConnected && mount(app, errorBox(e)));
}
