// Translation lookup: the element's `lang` attribute wins, then the browser's languages, then English.
// A key missing in a language falls back to English, then to the key itself, so a gap in a
// catalogue shows up as readable English (or an obvious key), never as "undefined".
import en from './i18n/en.js';
import de from './i18n/de.js';

/** One catalogue per language; add a language by adding a file and a line here. */
export const CATALOGUES = Object.freeze({ en, de });
export const FALLBACK_LANGUAGE = 'en';

/**
 * Pick the language to use.
 * @param {string|null|undefined} requested the `lang` attribute, e.g. "de" or "de-AT"
 * @param {readonly string[]} [browserLanguages] navigator.languages
 * @param {Record<string, object>} [catalogues]
 */
export function resolveLanguage(requested, browserLanguages = [], catalogues = CATALOGUES) {
  for (const tag of [requested, ...browserLanguages]) {
    const base = String(tag ?? '').trim().toLowerCase().split(/[-_]/)[0];
    if (base && Object.hasOwn(catalogues, base)) return base;
  }
  return FALLBACK_LANGUAGE;
}

/** Replace {name} placeholders; unknown placeholders stay visible rather than vanish. */
export function interpolate(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (match, name) => (Object.hasOwn(params, name) ? String(params[name]) : match));
}

/**
 * @param {string} lang a language code, already resolved
 * @param {Record<string, Record<string, string>>} [catalogues]
 * @returns {{lang: string, t: (key: string, params?: object) => string, has: (key: string) => boolean}}
 */
export function createTranslator(lang, catalogues = CATALOGUES) {
  const primary = catalogues[lang] ?? {};
  const fallback = catalogues[FALLBACK_LANGUAGE] ?? {};
  const lookup = (key) => (Object.hasOwn(primary, key) ? primary[key] : Object.hasOwn(fallback, key) ? fallback[key] : undefined);
  return {
    lang: Object.hasOwn(catalogues, lang) ? lang : FALLBACK_LANGUAGE,
    t: (key, params) => interpolate(lookup(key) ?? key, params),
    has: (key) => lookup(key) !== undefined,
  };
}
