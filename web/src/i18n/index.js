// The dictionaries and the current language (zh-CN unless the user chose English).
import zh from './zh-CN.js';
import en from './en.js';

const dicts = { 'zh-CN': zh, en };
const KEY = 'doorstep.lang';
let lang = localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN';
const listeners = new Set();

export function getLang() { return lang; }

export function setLang(l) {
  lang = dicts[l] ? l : 'zh-CN';
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
  listeners.forEach((f) => f(lang));
}

export function onLang(f) { listeners.add(f); }

// t('acc.pageInfo', {from: 1, to: 50, total: 9}); an unknown key shows itself.
export function t(key, vars) {
  let s = dicts[lang][key] ?? dicts['zh-CN'][key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

// t() for a key that may be missing (an enum value from the server): falls back to the value.
export function tv(prefix, value) {
  if (value == null || value === '') return '';
  const k = `${prefix}.${value}`;
  const s = t(k);
  return s === k ? String(value) : s;
}

document.documentElement.lang = lang;
