import { h, mount, field, formData } from '../dom.js';
import { t } from '../i18n/index.js';
import { login } from '../api.js';
import { errorText } from './common.js';
import { time } from '../format.js';

export function loginPage(app, { onLogin }) {
  const msg = h('div', { class: 'alert', role: 'alert', hidden: true });
  const show = (cls, text) => { msg.className = `alert ${cls}`; msg.textContent = text; msg.hidden = false; };
  if (sessionStorage.getItem('doorstep.expired')) {
    sessionStorage.removeItem('doorstep.expired');
    show('alert-info', t('login.expired'));
  }
  const btn = h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, t('login.submit'));
  const form = h('form', { class: 'card login', onsubmit: async (ev) => {
    ev.preventDefault();
    const { user, password } = formData(form);
    if (!user || !password) return;
    btn.disabled = true;
    try {
      await login(user, form.elements.password.value);
      onLogin();
    } catch (e) {
      if (e.status === 401) show('alert-error', t('login.failed'));
      else if (e.status === 429) {
        const secs = Number(e.retryAfter);
        const when = Number.isFinite(secs) ? time(Date.now() / 1000 + secs, true) : '';
        show('alert-error', t('login.throttled', { when }) + (e.body.message ? `\n${e.body.message}` : ''));
      } else show('alert-error', errorText(e));
    } finally {
      btn.disabled = false;
    }
  } },
  h('h1', null, t('login.title')),
  msg,
  field(t('login.user'), h('input', { name: 'user', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' })),
  field(t('login.password'), h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
  btn);
  mount(app, h('div', { class: 'login-wrap' }, form));
  form.elements.user.focus();
}
