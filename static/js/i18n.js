// Translation lookup: the element's `lang` attribute wins, then the browser's languages, then English.
// A key missing in a language falls back to English, then to the key itself, so a gap in a
// catalogue shows up as readable English (or an obvious key), never as "undefined".
// English ships with the element; another language's catalogue is fetched when a page first needs it
// (`loadCatalogue`), so a visitor downloads one language, not all (the call-start budget,
// tests/unit/test_call_start_budget.py, is 180 KB gzip).
import en from './i18n/en.js';

export const FALLBACK_LANGUAGE = 'en';
/** Each language's catalogue; add a language by adding a file and a line here. */
const LOADERS = Object.freeze({
  en: async () => en,
  de: async () => (await import('./i18n/de.js')).default,
});
export const LANGUAGES = Object.freeze(Object.keys(LOADERS));
/** The catalogues loaded so far. @type {Record<string, Record<string, string>>} */
const loaded = { en };

/**
 * Fetch a language's catalogue (once). False for an unknown language or a failed download (offline,
 * blocked): the page stays in English, and the next page load tries again.
 * @param {string} lang @returns {Promise<boolean>} whether `createTranslator(lang)` now speaks it
 */
export async function loadCatalogue(lang) {
  if (!Object.hasOwn(loaded, lang) && Object.hasOwn(LOADERS, lang)) {
    try {
      loaded[lang] = await LOADERS[/** @type {keyof typeof LOADERS} */ (lang)]();
    } catch {
      return false;
    }
  }
  return Object.hasOwn(loaded, lang);
}

/** Every language's catalogue (tests, tools). @returns {Promise<Record<string, Record<string, string>>>} */
export async function allCatalogues() {
  await Promise.all(LANGUAGES.map(loadCatalogue));
  return { ...loaded };
}

/**
 * Pick the language to use.
 * @param {string|null|undefined} requested the `lang` attribute, e.g. "de" or "de-AT"
 * @param {readonly string[]} [browserLanguages] navigator.languages
 * @param {readonly string[]} [languages]
 */
export function resolveLanguage(requested, browserLanguages = [], languages = LANGUAGES) {
  for (const tag of [requested, ...browserLanguages]) {
    const base = String(tag ?? '').trim().toLowerCase().split(/[-_]/)[0];
    if (base && languages.includes(base)) return base;
  }
  return FALLBACK_LANGUAGE;
}

/** Replace {name} placeholders; unknown placeholders stay visible rather than vanish. */
export function interpolate(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (match, name) => (Object.hasOwn(params, name) ? String(params[name]) : match));
}

/**
 * @param {string} lang a language code, already resolved; one whose catalogue is not loaded yet
 *   translates to English (its `lang` says so: load it, then make a new translator)
 * @param {Record<string, Record<string, string>>} [catalogues]
 * @returns {{lang: string, t: (key: string, params?: object) => string, has: (key: string) => boolean}}
 */
export function createTranslator(lang, catalogues = loaded) {
  const primary = catalogues[lang] ?? {};
  const fallback = catalogues[FALLBACK_LANGUAGE] ?? {};
  const lookup = (key) => (Object.hasOwn(primary, key) ? primary[key] : Object.hasOwn(fallback, key) ? fallback[key] : undefined);
  return {
    lang: Object.hasOwn(catalogues, lang) ? lang : FALLBACK_LANGUAGE,
    t: (key, params) => interpolate(lookup(key) ?? key, params),
    has: (key) => lookup(key) !== undefined,
  };
}
