import { h } from '../dom.js';
import { t, getLang } from '../i18n/index.js';

// An error from the API as a sentence, in the current language.
export function errorText(e) {
  if (!e) return '';
  const b = e.body || e;
  const code = e.code || b.error;
  const head = t(`err.${code}`) !== `err.${code}` ? t(`err.${code}`) : t('app.error');
  const zh = getLang() !== 'en';
  const reason = (zh ? b.reason_zh : b.reason_en) || b.reason_zh || b.reason_en || b.message || e.message;
  return reason && reason !== head ? head + (zh ? '：' : ': ') + reason : head;
}

export function errorBox(e) {
  return h('div', { class: 'alert alert-error', role: 'alert' }, errorText(e));
}

export function loading() {
  return h('p', { class: 'loading' }, t('app.loading'));
}

export function kv(rows) {
  return h('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v ?? '—')]));
}

export function table(cols, rows, { onRow, cls } = {}) {
  return h('div', { class: 'table-wrap' }, h('table', { class: cls || 'table' },
    h('thead', null, h('tr', null, cols.map((c) => h('th', { class: c.num ? 'num' : null }, c.label)))),
    h('tbody', null, rows.map((r) => h('tr', { class: onRow ? 'clickable' : null, onclick: onRow ? () => onRow(r) : null },
      cols.map((c) => h('td', { class: c.num ? 'num' : null }, c.get(r))))))));
}
