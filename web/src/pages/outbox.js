// The outbox: what is waiting, what was sent, what was refused and why.
import { h, mount } from '../dom.js';
import { t, tv } from '../i18n/index.js';
import * as outbox from '../outbox.js';
import { time } from '../format.js';
import { errorText } from './common.js';

function sentText(e) {
  const r = e.result;
  if (r.promise_id != null) return t('promise.done', { id: r.promise_id });
  if (r.receipt_no) return t('receipt.done', { no: r.receipt_no });
  if (r.distance_m != null) return t('field.checkedIn', { m: Math.round(r.distance_m) });
  if (r.state) return tv('state', r.state);
  return JSON.stringify(r);
}

export function outboxPage(app) {
  const render = () => {
    const items = outbox.entries().slice().reverse();
    mount(app,
      h('div', { class: 'page-head' }, h('h1', null, t('outbox.title')),
        h('button', { class: 'btn', type: 'button', onclick: () => outbox.flush(true) }, t('outbox.retryNow')),
        h('button', { class: 'btn', type: 'button', onclick: () => outbox.clearFinished() }, t('outbox.clear'))),
      h('p', { class: 'muted' }, t('outbox.note')),
      items.length ? h('ul', { class: 'outbox' }, items.map((e) => h('li', { class: `ob ob-${e.status}` },
        h('div', { class: 'ob-head' },
          h('span', { class: `badge ob-badge-${e.status}` }, t(`outbox.${e.status}`)),
          h('strong', null, t(`outbox.kind.${e.kind}`) !== `outbox.kind.${e.kind}` ? t(`outbox.kind.${e.kind}`) : e.path),
          ' ', e.label, h('span', { class: 'muted' }, ' · ', time(e.createdAt / 1000, true))),
        e.status === 'queued' && e.attempts ? h('div', { class: 'muted' }, t('outbox.retry', { when: time(e.nextAt / 1000), n: e.attempts + 1 }),
          e.error ? ` · ${errorText({ code: e.error.code, body: {}, message: e.error.message })}` : '') : null,
        e.status === 'refused' ? h('div', { class: 'alert alert-error' }, errorText({ code: e.error.error, body: e.error, message: e.error.message })) : null,
        e.status === 'sent' && e.result ? h('div', { class: 'muted' }, sentText(e)) : null))) : h('p', { class: 'empty' }, t('outbox.empty')));
  };
  render();
  const off = outbox.onChange(() => app.isConnected && render());
  return off;
}
