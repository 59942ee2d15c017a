// The installment calculator (POST /api/installments/calc): nothing is
// stored, so it is sent directly, not through the outbox.
import { h, mount, field, formData, select } from '../dom.js';
import { t } from '../i18n/index.js';
import { post } from '../api.js';
import { toFen, yuan, today } from '../format.js';
import { errorBox, table } from './common.js';

export function calcForm() {
  const out = h('div');
  const form = h('form', { class: 'form', onsubmit: async (ev) => {
    ev.preventDefault();
    const d = formData(form);
    const body = { balance_fen: toFen(d.balance), installments: Number(d.installments), first_due: d.first_due };
    if (body.balance_fen == null) { form.reportValidity(); return; }
    if (d.waiver_kind) { body.waiver_fen = toFen(d.waiver) ?? 0; body.waiver_kind = d.waiver_kind; }
    try {
      const r = await post('/api/installments/calc', body);
      mount(out, h('p', { class: 'total' }, t('calc.total'), ' ', h('strong', null, yuan(r.total_fen))),
        table([
          { label: t('calc.seq'), num: true, get: (i) => String(i.seq) },
          { label: t('calc.due'), get: (i) => i.due_date },
          { label: t('calc.amount'), num: true, get: (i) => yuan(i.amount_fen) }], r.installments));
    } catch (e) { mount(out, errorBox(e)); }
  } },
  field(t('calc.balance'), h('input', { name: 'balance', inputmode: 'decimal', required: true, pattern: '[0-9]+([.][0-9]{1,2})?' })),
  field(t('calc.installments'), h('input', { name: 'installments', type: 'number', min: 1, max: 60, value: '6', required: true })),
  field(t('calc.firstDue'), h('input', { name: 'first_due', type: 'date', value: today(), required: true })),
  field(t('calc.waiverKind'), select('waiver_kind', [['', t('calc.waiver.none')], ['fees', t('calc.waiver.fees')], ['interest', t('calc.waiver.interest')]], '')),
  field(t('calc.waiver'), h('input', { name: 'waiver', inputmode: 'decimal', pattern: '[0-9]+([.][0-9]{1,2})?' })),
  h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, t('calc.run')));
  return h('div', null, form, out);
}

export function calcPage(app) {
  mount(app, h('div', { class: 'page-head' }, h('h1', null, t('field.calcForm'))), h('section', { class: 'card narrow' }, calcForm()));
}
