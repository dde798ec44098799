// Translation lookup: the element's `lang` attribute wins, then the browser's languages, then English.
// Every catalogue is a file of its own, fetched when a page first needs it (`loadCatalogue`), English
// included: a visitor downloads their language only (the call-start budget,
// tests/unit/test_call_start_budget.py, is 180 KB gzip; English in the element cost a German visitor
// a second catalogue). Every catalogue has every English key (tests/js/i18n.test.mjs), so no page
// fetches English for a gap; a key missing all the same falls back to English when it is loaded, then
// to CORE, then to the key itself: never "undefined". The element shows its card once its words are in
// (element-view.js); a page that gets no catalogue at all (offline) speaks CORE's English.

export const FALLBACK_LANGUAGE = 'en';
/** Each language's catalogue; add a language by adding a file and a line here. */
const LOADERS = Object.freeze({
  en: () => import('./i18n/en.js'),
  de: () => import('./i18n/de.js'),
});
export const LANGUAGES = Object.freeze(Object.keys(LOADERS));
/** The catalogues loaded so far. @type {Record<string, Record<string, string>>} */
const loaded = {};
/** Downloads in flight, so that two elements (or a hover during the first try) share one. @type {Record<string, Promise<boolean>>} */
const loading = {};

/**
 * The English words a page shows when no catalogue could be fetched (offline, blocked): its card, the
 * consent step, and a call that then fails for the network, with "Try again" (the catalogue is tried
 * again when the person is about to call: itellico-call.js). The same words as i18n/en.js
 * (tests/js/i18n.test.mjs; tests/e2e/test_i18n_loading.py finds no key on screen). Small on purpose:
 * every visitor carries them.
 */
export const CORE = Object.freeze({
  'title': 'Talk to our AI agent',
  'subtitle.voice': 'Start a voice call in your browser. Nothing to install.',
  'subtitle.text': 'Chat with the agent by typing.',
  'state.idle': 'Ready',
  'state.requesting-mic': 'Asking for your microphone…',
  'state.connecting': 'Connecting…',
  'state.error': 'Call failed',
  'action.start': 'Start call',
  'action.startText': 'Start chat',
  'action.cancel': 'Cancel',
  'action.accept': 'Accept and start',
  'action.tryAgain': 'Try again',
  'action.switchToText': 'Continue by typing',
  'hint.headphones': 'Tip: headphones stop the agent from hearing itself.',
  'hint.textMode': 'Text chat: your microphone is not used.',
  'hint.emptyTranscript': 'The conversation will appear here.',
  'label.transcript': 'Conversation',
  'consent.title': 'Before you start',
  'consent.remembered': 'We remember your choice on this device.',
  'privacy.link': 'Privacy policy',
  'privacy.newTab': '(opens in a new tab)',
  'step.microphone': 'while asking for the microphone',
  'step.creating-call': 'while creating the call',
  'step.loading-client': 'while loading the call software',
  'error.failedStep': 'Failed {step}.',
  'error.code': 'Error code: {code}',
  'error.network_error.title': 'No connection',
  'error.network_error.message': 'We could not reach our server.',
  'error.network_error.next': 'Check your internet connection and try again.',
  'error.client_load_failed.title': 'The call software did not load',
  'error.client_load_failed.message': 'Part of this page could not be downloaded.',
  'error.client_load_failed.next': 'Check your internet connection and try again.',
});

/**
 * Fetch a language's catalogue (once; a failed download is tried once more at once, and again when
 * asked again). False for an unknown language or a download that failed twice (offline, blocked).
 * @param {string} lang @returns {Promise<boolean>} whether `createTranslator(lang)` now speaks it
 */
export function loadCatalogue(lang) {
  if (!Object.hasOwn(LOADERS, lang)) return Promise.resolve(false);
  if (Object.hasOwn(loaded, lang)) return Promise.resolve(true);
  loading[lang] ??= (async () => {
    const load = LOADERS[/** @type {keyof typeof LOADERS} */ (lang)];
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      try {
        loaded[lang] = (await load()).default;
        break;
      } catch { /* a dropped connection: the second try usually works (Chromium fetches again) */ }
    }
    delete loading[lang];
    return Object.hasOwn(loaded, lang);
  })();
  return loading[lang];
}

/**
 * The best words there are for `lang`: its catalogue, else English's, else CORE's.
 * @param {string} lang @returns {Promise<string|null>} the language now loaded for it, or null (CORE)
 */
export async function loadLanguage(lang) {
  if (await loadCatalogue(lang)) return lang;
  if (lang !== FALLBACK_LANGUAGE && (await loadCatalogue(FALLBACK_LANGUAGE))) return FALLBACK_LANGUAGE;
  return null;
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
 *   translates to English, or to CORE while no English is loaded either (`lang` says which: load it,
 *   then make a new translator; `ready` says whether it is the language asked for)
 * @param {Record<string, Record<string, string>>} [catalogues]
 * @returns {{lang: string, ready: boolean, t: (key: string, params?: object) => string, has: (key: string) => boolean}}
 */
export function createTranslator(lang, catalogues = loaded) {
  const primary = catalogues[lang] ?? {};
  const fallback = catalogues[FALLBACK_LANGUAGE] ?? CORE;
  const lookup = (key) => (Object.hasOwn(primary, key) ? primary[key] : Object.hasOwn(fallback, key) ? fallback[key] : undefined);
  const ready = Object.hasOwn(catalogues, lang);
  return {
    lang: ready ? lang : FALLBACK_LANGUAGE,
    ready,
    t: (key, params) => interpolate(lookup(key) ?? key, params),
    has: (key) => lookup(key) !== undefined,
  };
}
