// The UI language: chosen from the browser's languages, switchable, remembered in localStorage.
import { en, type MessageKey, type Messages } from './en.ts';
import { zhCN } from './zh-CN.ts';

export const LOCALES = { en: en as Messages, 'zh-CN': zhCN } as const;
export type Locale = keyof typeof LOCALES;
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '简体中文' };

const STORAGE_KEY = 'meowtrix.locale';

/** The first of the user's languages we have, matching Chinese variants by their script. */
export function pickLocale(languages: readonly string[]): Locale {
  for (const tag of languages) {
    const lower = tag.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-cn') || lower.startsWith('zh-hans') || lower.startsWith('zh-sg')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

function initialLocale(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && saved in LOCALES) return saved as Locale;
  return pickLocale(navigator.languages?.length ? navigator.languages : [navigator.language]);
}

const state = $state({ locale: initialLocale() });

export function currentLocale(): Locale {
  return state.locale;
}

export function setLocale(locale: Locale): void {
  state.locale = locale;
  localStorage.setItem(STORAGE_KEY, locale);
  document.documentElement.lang = locale;
}

type Vars = Record<string, string | number>;

/** Fills a template's {placeholders}; one without a value stays as written. */
function fill(template: string, vars: Vars): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** Translates a key, filling {placeholders}. Reactive: reading it in a template follows setLocale. */
export function t(key: MessageKey, vars: Vars = {}): string {
  return fill(LOCALES[state.locale][key] ?? en[key], vars);
}

/**
 * A translator for a feature's own string tables (kept beside the feature, by locale), with English
 * for what a table lacks. Reactive like t.
 */
export function translator<K extends string>(tables: Record<string, Record<K, string>>, english: Record<K, string>): (key: K, vars?: Vars) => string {
  return (key, vars = {}) => fill(tables[state.locale]?.[key] ?? english[key], vars);
}

document.documentElement.lang = state.locale;
