// Every studio page: its times in the rep's time zone (the UTC text stays as the title), and the days of
// its date fields in that zone too (the server reads `tz`: webcall/call_queries.py, webcall/studio.py).
import { browserZone, localText, pageLocale } from './local-time.js';

const locale = pageLocale(document.documentElement.lang || 'en', navigator.languages ?? []);
for (const el of document.querySelectorAll('time[data-local]')) {
  const shown = /** @type {HTMLElement} */ (el).dataset.local ?? '';
  const text = localText(el.getAttribute('datetime') ?? '', shown, { locale });
  if (text === null) continue;
  el.setAttribute('title', el.textContent ?? '');
  el.textContent = text;
}

// Forms with dates (the calls filter, a link's expiry) send the zone those dates are days of.
const zone = browserZone();
for (const field of document.querySelectorAll('input[data-time-zone]')) {
  const input = /** @type {HTMLInputElement} */ (field);
  if (zone && !input.value) input.value = zone;
}
// The server says which days it filtered by. Without a zone (a bookmark, a zone it does not know) they
// were UTC days: that stays said while dates are applied; the next Show uses the browser's.
const said = document.querySelector('[data-days-zone]');
if (said && zone && said.textContent === 'UTC days') {
  const dated = [...document.querySelectorAll('input[type="date"][aria-describedby="days-zone"]')]
    .some((input) => /** @type {HTMLInputElement} */ (input).value);
  said.textContent = dated ? `UTC days; Show uses days in ${zone}` : `days in ${zone}`;
}
