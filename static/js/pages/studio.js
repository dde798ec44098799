// Every studio page: its times in the rep's time zone (the UTC text stays as the title), and the calls
// filter's days in that zone too (the server reads `tz`: webcall/call_queries.py).
import { browserZone, localText } from './local-time.js';

for (const el of document.querySelectorAll('time[data-local]')) {
  const text = localText(el.getAttribute('datetime') ?? '', /** @type {HTMLElement} */ (el).dataset.local ?? '');
  if (text === null) continue;
  el.setAttribute('title', el.textContent ?? '');
  el.textContent = text;
}

const zone = browserZone();
const field = /** @type {HTMLInputElement|null} */ (document.querySelector('input[data-time-zone]'));
if (field && zone && !field.value) {
  field.value = zone;
  const said = document.querySelector('[data-days-zone]');
  if (said) said.textContent = `days in ${zone}`;
}
