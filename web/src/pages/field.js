// The field view (collectors, community workers), mobile first: the day's
// route, then one visit with check-in, outcome, promise and receipt. Every
// POST goes through the outbox.
import { h, mount, field, formData, select } from '../dom.js';
import { t, tv } from '../i18n/index.js';
import { get, session } from '../api.js';
import * as outbox from '../outbox.js';
import { routeMap } from '../components/map.js';
import { time, toFen } from '../format.js';
import { errorBox, errorText, loading } from './common.js';
import { visitSummary, eventsTable } from './visit.js';
import { calcForm } from './calc.js';

async function allVisits(date) {
  const items = [];
  let offset = 0;
  for (;;) {
    const r = await get('/api/visits', { date, limit: 500, offset });
    items.push(...r.items);
    if (r.next_offset == null) return items;
    offset = r.next_offset;
  }
}

// The user's own team: the one whose id names their staff id, else the first.
function myTeam(teams) {
  const sid = session.staff_id;
  return (sid && teams.find((id) => id.split('/').includes(sid))) || teams[0];
}

export function fieldPage(app, { query, go }) {
  const date = query.get('date') || '';
  const dateIn = h('input', { type: 'date', value: date, onchange: () => go(`#/field${dateIn.value ? `?date=${dateIn.value}` : ''}`) });
  const body = h('div', null, loading());
  mount(app,
    h('div', { class: 'page-head' }, h('h1', null, t('field.title')),
      h('label', { class: 'inline' }, t('field.date'), ' ', dateIn),
      date ? h('a', { class: 'btn-link', href: '#/field' }, t('field.today')) : null),
    body);
  allVisits(date || undefined).then((items) => {
    if (!app.isConnected) return;
    if (!items.length) { mount(body, h('p', { class: 'empty big' }, t('field.none'))); return; }
    if (!date) dateIn.value = items[0].visit_date;
    const teams = [...new Set(items.map((v) => v.team_id || ''))];
    let team = query.get('team') || myTeam(teams);
    const show = () => {
      const stops = items.filter((v) => (v.team_id || '') === team).sort((a, b) => (a.route_seq ?? 1e9) - (b.route_seq ?? 1e9));
      mount(body,
        teams.length > 1 ? field(t('visit.team'), h('select', { onchange: (ev) => { team = ev.target.value; show(); } },
          teams.map((id) => h('option', { value: id, selected: id === team ? 'selected' : null }, id || '—')))) : null,
        h('p', { class: 'muted' }, t('field.stops', { n: stops.length })),
        routeMap(stops, (s) => go(`#/field/${s.visit_id}`)),
        h('ol', { class: 'stops' }, stops.map((v) => h('li', null, h('a', { class: 'stop', href: `#/field/${v.visit_id}` },
          h('span', { class: 'seq' }, String(v.route_seq ?? '·')),
          h('span', { class: 'stop-main' },
            h('strong', null, v.name || v.account_id), h('span', { class: 'addr' }, v.address || ''),
            h('span', { class: 'muted' }, v.planned_at ? `${t('visit.planned')} ${time(v.planned_at)}` : '',
              v.window_start_at ? ` · ${t('visit.window')} ${time(v.window_start_at)}–${time(v.window_end_at)}` : '')),
          h('span', { class: `state s-${v.state}` }, tv('state', v.state)))))));
    };
    show();
  }).catch((e) => app.isConnected && mount(body, errorBox(e)));
}

function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error(t('field.geoUnsupported'))); return; }
    navigator.geolocation.getCurrentPosition((p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
      (e) => reject(new Error(e.message || String(e.code))), { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  });
}

// What the outbox made of a submission, as a message box.
function outcomeBox(box, entry, okText) {
  box.hidden = false;
  if (entry.status === 'sent') {
    box.className = 'alert alert-ok';
    box.textContent = okText(entry.result || {});
  } else if (entry.status === 'refused') {
    box.className = 'alert alert-error big';
    box.textContent = errorText({ code: entry.error.error, body: entry.error, message: entry.error.message });
  } else {
    box.className = 'alert alert-info';
    box.textContent = `${t('field.queued')} · ${t('outbox.note')}`;
  }
}

function msgBox() { return h('div', { class: 'alert', role: 'status', hidden: true }); }

async function sha256Hex(file) {
  if (!(window.crypto && crypto.subtle)) return '';
  const d = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function fieldVisitPage(app, { params, go }) {
  const [id] = params;
  mount(app, loading());
  const reload = () => fieldVisitPage(app, { params, go });
  get(`/api/visits/${id}`).then((v) => {
    if (!app.isConnected) return;
    const path = `/api/visits/${v.visit_id}`;
    const label = `#${v.visit_id} ${v.name || v.account_id}`;
    const isCollector = session.role === 'collector';

    // check-in
    const ciMsg = msgBox();
    const ciBtn = h('button', { class: 'btn btn-primary btn-huge', type: 'button' }, t('field.checkIn'));
    const ciForm = h('form', { class: 'checks' },
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'identity_shown', checked: true }), t('field.identityShown')),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'consent_to_enter' }), t('field.consent')),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'entering_home' }), t('field.enteringHome')));
    ciBtn.addEventListener('click', async () => {
      ciBtn.disabled = true;
      ciMsg.hidden = false; ciMsg.className = 'alert alert-info'; ciMsg.textContent = t('field.locating');
      try {
        const pos = await position();
        const body = { lat: pos.lat, lon: pos.lon, ...formData(ciForm) };
        const e = await outbox.enqueue(`${path}/check-in`, body, { kind: 'check-in', label });
        outcomeBox(ciMsg, e, (r) => t('field.checkedIn', { m: Math.round(r.distance_m ?? 0) }));
        if (e.status === 'sent') setTimeout(reload, 1200);
      } catch (err) {
        ciMsg.className = 'alert alert-error big'; ciMsg.textContent = t('field.geoFailed', { why: err.message });
      } finally { ciBtn.disabled = false; }
    });

    // outcome
    const ocMsg = msgBox();
    const evFile = h('input', { type: 'file', accept: 'image/*', capture: 'environment' });
    const oc = h('form', { class: 'form' },
      h('fieldset', { class: 'radios' }, h('legend', null, t('found.label')),
        ['met_borrower', 'met_family', 'not_home', 'moved', 'refused'].map((f, i) =>
          h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'found', value: f, checked: i === 0 }), t(`found.${f}`)))),
      field(t('situation.label'), select('situation', ['', 'unemployment', 'illness', 'business_loss', 'family_event', 'dispute', 'fraud_victim', 'unwilling']
        .map((s) => [s, t(`situation.${s}`)]), '')),
      field(t('attitude.label'), select('attitude', ['', 'cooperative', 'neutral', 'hostile'].map((s) => [s, t(`attitude.${s}`)]), '')),
      h('fieldset', null, h('legend', null, t('incident.label')),
        field(t('incident.kind'), h('input', { name: 'incident_kind', placeholder: t('incident.kindPh') })),
        field(t('incident.severity'), select('incident_severity', [['', '—'], ...[1, 2, 3, 4, 5].map((n) => [String(n), String(n)])], ''))),
      field(t('note.label'), h('textarea', { name: 'note', rows: 3, maxlength: 2000 })),
      field(t('evidence.file'), evFile),
      h('input', { type: 'hidden', name: 'evidence_name' }),
      h('input', { type: 'hidden', name: 'evidence_sha256' }),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'with_location' }), t('outcome.withLocation')),
      ocMsg,
      h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, t('field.submit')));
    evFile.addEventListener('change', async () => {
      const f = evFile.files[0];
      oc.elements.evidence_name.value = f ? f.name : '';
      oc.elements.evidence_sha256.value = f ? await sha256Hex(f) : '';
    });
    oc.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const d = formData(oc);
      const body = { found: d.found };
      for (const k of ['situation', 'attitude', 'note']) if (d[k]) body[k] = d[k];
      if (d.incident_kind || d.incident_severity) { body.incident_kind = d.incident_kind; body.incident_severity = Number(d.incident_severity) || 0; }
      if (d.evidence_name && d.evidence_sha256) { body.evidence_name = d.evidence_name; body.evidence_sha256 = d.evidence_sha256; }
      const btn = oc.querySelector('button[type=submit]');
      btn.disabled = true;
      try {
        if (d.with_location) Object.assign(body, await position());
        const e = await outbox.enqueue(`${path}/outcome`, body, { kind: 'outcome', label });
        outcomeBox(ocMsg, e, (r) => tv('state', r.state));
        if (e.status === 'sent') setTimeout(reload, 1200);
      } catch (err) {
        ocMsg.hidden = false; ocMsg.className = 'alert alert-error'; ocMsg.textContent = t('field.geoFailed', { why: err.message });
      } finally { btn.disabled = false; }
    });

    // promise and receipt: collectors only (the API's roles)
    let moneyForms = null;
    if (isCollector) {
      const prMsg = msgBox();
      const pr = h('form', { class: 'form', onsubmit: async (ev) => {
        ev.preventDefault();
        const d = formData(pr);
        const amount = toFen(d.amount);
        if (!amount || !d.due) { pr.reportValidity(); return; }
        const e = await outbox.enqueue('/api/promises', { account_id: v.account_id, amount_fen: amount, due: d.due, visit_id: v.visit_id }, { label });
        outcomeBox(prMsg, e, (r) => t('promise.done', { id: r.promise_id }));
      } },
      field(t('promise.amount'), h('input', { name: 'amount', inputmode: 'decimal', required: true, pattern: '[0-9]+([.][0-9]{1,2})?' })),
      field(t('promise.due'), h('input', { name: 'due', type: 'date', required: true })),
      prMsg, h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, t('field.submit')));
      const rcMsg = msgBox();
      const rc = h('form', { class: 'form', onsubmit: async (ev) => {
        ev.preventDefault();
        const d = formData(rc);
        const amount = toFen(d.amount);
        if (!amount) { rc.reportValidity(); return; }
        const e = await outbox.enqueue('/api/receipts', { account_id: v.account_id, amount_fen: amount, method: d.method, visit_id: v.visit_id }, { label });
        outcomeBox(rcMsg, e, (r) => t('receipt.done', { no: r.receipt_no }));
      } },
      field(t('receipt.amount'), h('input', { name: 'amount', inputmode: 'decimal', required: true, pattern: '[0-9]+([.][0-9]{1,2})?' })),
      h('fieldset', { class: 'radios' }, h('legend', null, t('receipt.method')),
        h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'method', value: 'cash', checked: true }), t('receipt.cash')),
        h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'method', value: 'card' }), t('receipt.card'))),
      rcMsg, h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, t('field.submit')));
      moneyForms = [
        h('details', { class: 'card' }, h('summary', null, t('field.promiseForm')), pr),
        h('details', { class: 'card' }, h('summary', null, t('field.receiptForm')), rc)];
    }

    const pending = outbox.entries().filter((e) => e.body && (e.body.visit_id === v.visit_id || e.path.startsWith(`${path}/`)) && e.status !== 'sent');
    mount(app,
      h('div', { class: 'page-head' }, h('a', { class: 'btn-link', href: '#/field' }, '← ', t('app.back')),
        h('h1', null, label)),
      pending.length ? h('a', { class: 'alert alert-info', href: '#/outbox' }, t('outbox.pending', { n: pending.length })) : null,
      h('section', { class: 'card' }, h('h2', null, t('field.checkIn')), ciForm, ciBtn, ciMsg),
      h('details', { class: 'card', open: v.state === 'checked_in' ? '' : null }, h('summary', null, t('field.outcomeForm')), oc),
      moneyForms,
      h('details', { class: 'card' }, h('summary', null, t('field.calcForm')), calcForm()),
      h('details', { class: 'card' }, h('summary', null, t('visit.title')), visitSummary(v), h('h3', null, t('visit.events')), eventsTable(v.events)));
  }).catch((e) => app.isConnected && mount(app, errorBox(e)));
}

