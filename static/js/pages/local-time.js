// The studio writes every time in UTC and says so (webcall/formatting.py `when`); in the browser each
// is shown in the rep's own time zone instead, named, so "23:19 CET" is never read as UTC or back.

/** @type {Record<string, Intl.DateTimeFormatOptions>} the parts shown, as the server writes them */
const SHOWN = {
  minutes: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' },
  seconds: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' },
  time: { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' },
  clock: { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' },
};

/**
 * A stored time in a time zone (the browser's unless told), or null when it cannot be read.
 * @param {string} iso  the <time> element's datetime, with its offset
 * @param {string} shown  minutes | seconds | time
 * @param {{ locale?: string, timeZone?: string }} [where]
 */
export function localText(iso, shown, where = {}) {
  const at = new Date(iso);
  const parts = SHOWN[shown];
  if (!parts || Number.isNaN(at.getTime()) || !/(Z|[+-]\d\d:\d\d)$/.test(iso)) return null;
  try {
    return new Intl.DateTimeFormat(where.locale, { ...parts, timeZone: where.timeZone }).format(at);
  } catch {
    return null; // an unknown zone or locale: the UTC text stays
  }
}

/**
 * The locale to write times in: the browser's own variant of the page's language (en-US, en-AU) when
 * that is the browser's first language, else British English for an English page (a 24-hour clock and
 * "CET"), so that an English page never shows German month names because the browser is German, nor
 * US times because a German browser lists en-US as its fallback. A bare "en" is Intl's US English.
 * @param {string} lang  the page's language
 * @param {readonly string[]} languages  the browser's, in order (navigator.languages)
 */
export function pageLocale(lang, languages) {
  const [first = ''] = languages;
  const [primary, region] = first.toLowerCase().split('-');
  return primary === lang && region ? first : lang === 'en' ? 'en-GB' : lang;
}

/** The browser's IANA time zone ("Europe/Vienna"), or '' if it does not say. */
export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
  } catch {
    return '';
  }
}
