import { getLang, t } from './i18n/index.js';

const loc = () => (getLang() === 'en' ? 'en-US' : 'zh-CN');

// Money is integer fen on the wire; shown as yuan.
export function yuan(fen) {
  if (fen == null) return '—';
  const v = (fen / 100).toLocaleString(loc(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return t('yuan', { v });
}

// Large sums shortened: 万 / 亿 in Chinese, K / M in English.
export function yuanShort(fen) {
  if (fen == null) return '—';
  const y = fen / 100;
  if (getLang() === 'en') {
    if (Math.abs(y) >= 1e6) return `¥${(y / 1e6).toFixed(2)}M`;
    if (Math.abs(y) >= 1e3) return `¥${(y / 1e3).toFixed(1)}K`;
    return `¥${y.toFixed(0)}`;
  }
  if (Math.abs(y) >= 1e8) return `¥${(y / 1e8).toFixed(2)}亿`;
  if (Math.abs(y) >= 1e4) return `¥${(y / 1e4).toFixed(1)}万`;
  return `¥${y.toFixed(0)}`;
}

// Yuan typed by a person ("1,234.5") to integer fen, or null.
export function toFen(s) {
  const v = String(s ?? '').replace(/[,，\s]/g, '');
  if (!/^\d+(\.\d{1,2})?$/.test(v)) return null;
  const [i, f = ''] = v.split('.');
  return Number(i) * 100 + Number((f + '00').slice(0, 2));
}

export function num(n) {
  return n == null ? '—' : Number(n).toLocaleString(loc());
}

// Epoch seconds shown in Asia/Shanghai, the zone the visits are planned in.
export function time(epoch, withDate) {
  if (epoch == null) return '—';
  const o = { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'Asia/Shanghai' };
  if (withDate) Object.assign(o, { year: 'numeric', month: '2-digit', day: '2-digit' });
  return new Date(epoch * 1000).toLocaleString(loc(), o);
}

// Today's date (YYYY-MM-DD) in Asia/Shanghai.
export function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
}
