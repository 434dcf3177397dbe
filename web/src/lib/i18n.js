// Two languages: English and Traditional Chinese (Taiwan). Messages are keyed; a key missing in
// zh-TW falls back to English, and an enum value without a message is shown humanised.
import en from '../i18n/en.js';
import zhTW from '../i18n/zh-TW.js';

const CATALOGS = { en, 'zh-TW': zhTW };
export const LANGUAGES = [
  { tag: 'en', label: 'English' },
  { tag: 'zh-TW', label: '繁體中文' },
];
const KEY = 'accord.lang';
let lang = pick(localStorage.getItem(KEY) ?? navigator.language);
const listeners = new Set();

function pick(tag) {
  if (!tag) return 'en';
  if (tag in CATALOGS) return tag;
  if (/^zh(-Hant|-TW|-HK|-MO)?/i.test(tag)) return 'zh-TW';
  return 'en';
}

export function language() {
  return lang;
}

export function setLanguage(tag) {
  lang = pick(tag);
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
  for (const fn of listeners) fn(lang);
}

export function onLanguageChange(fn) {
  listeners.add(fn);
}

export function t(key, params) {
  let text = CATALOGS[lang][key] ?? en[key];
  if (text === undefined) {
    console.warn(`i18n: no message ${key}`);
    text = key;
  }
  if (params) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return text;
}

// LIFECYCLE_STAGE_ACTIVE -> its message, else "Active".
export function tEnum(value, prefix) {
  if (!value) return '';
  const key = `enum.${value}`;
  const text = CATALOGS[lang][key] ?? en[key];
  if (text !== undefined) return text;
  const bare = prefix && value.startsWith(prefix) ? value.slice(prefix.length) : value;
  return bare.charAt(0) + bare.slice(1).toLowerCase().replace(/_/g, ' ');
}

export function formatDateTime(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function formatDate(value) {
  if (!value) return '';
  if (typeof value === 'object' && value.year) {
    return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(
      new Date(Date.UTC(value.year, value.month - 1, value.day)),
    );
  }
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : new Intl.DateTimeFormat(lang, { dateStyle: 'medium' }).format(d);
}

// google.type.Money-like {currencyCode, units (int64 as string), nanos}: exact, no float maths
// before the final display.
export function formatMoney(money) {
  if (!money || !money.currencyCode) return '';
  const units = BigInt(money.units ?? 0);
  const nanos = Number(money.nanos ?? 0);
  const sign = units < 0n || nanos < 0 ? '-' : '';
  const abs = (units < 0n ? -units : units).toString();
  const frac = String(Math.abs(nanos)).padStart(9, '0').replace(/0+$/, '');
  const decimal = `${sign}${abs}${frac ? `.${frac}` : ''}`;
  try {
    const fmt = new Intl.NumberFormat(lang, { style: 'currency', currency: money.currencyCode, maximumFractionDigits: 9 });
    return fmt.format(decimal);
  } catch {
    return `${money.currencyCode} ${decimal}`;
  }
}

export function formatPercent(share, digits = 0) {
  if (share === undefined || share === null || share < 0) return '—';
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: digits }).format(share);
}

// "3600s" (proto Duration JSON) -> "1 h 0 min", negative for a breach.
export function formatDuration(duration) {
  if (duration === undefined || duration === null) return '';
  const seconds = Math.round(parseFloat(String(duration)));
  if (Number.isNaN(seconds)) return String(duration);
  const sign = seconds < 0 ? '-' : '';
  const abs = Math.abs(seconds);
  const hours = Math.floor(abs / 3600);
  const minutes = Math.floor((abs % 3600) / 60);
  if (hours === 0) return t('duration.ms', { sign, m: minutes, s: abs % 60 });
  return t('duration.hm', { sign, h: hours, m: minutes });
}

document.documentElement.lang = lang;
