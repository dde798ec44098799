import assert from 'node:assert/strict';
import test from 'node:test';

import { browserZone, localText, pageLocale } from '../../static/js/pages/local-time.js';

test('a UTC time reads in the given zone, named', () => {
  const where = { locale: 'en-GB', timeZone: 'Europe/Vienna' };
  assert.equal(localText('2026-03-02T23:59:00+00:00', 'minutes', where), '3 Mar 2026, 00:59 CET');
  assert.equal(localText('2026-07-02T23:59:05+00:00', 'seconds', where), '3 Jul 2026, 01:59:05 CEST');
  assert.equal(localText('2026-03-02T23:59:00+00:00', 'time', where), '00:59 CET');
  assert.equal(localText('2026-03-02T23:59:07.125+00:00', 'clock', where), '00:59:07 CET'); // a transcript line's
  assert.equal(localText('2026-03-02T23:59:00Z', 'time', { locale: 'en-GB', timeZone: 'UTC' }), '23:59 UTC');
});

test('what cannot be read keeps the text the server wrote', () => {
  const where = { locale: 'en-GB', timeZone: 'Europe/Vienna' };
  assert.equal(localText('2026-03-02T23:59:00', 'minutes', where), null); // no offset: whose time?
  assert.equal(localText('not a time', 'minutes', where), null);
  assert.equal(localText('2026-03-02T23:59:00+00:00', 'weeks', where), null);
  assert.equal(localText('2026-03-02T23:59:00+00:00', 'minutes', { timeZone: 'Mars/Olympus_Mons' }), null);
});

test('the browser names its zone', () => {
  assert.equal(typeof browserZone(), 'string');
});

test('times on an English page are English, in the browser\'s own English if that is its first language', () => {
  assert.equal(pageLocale('en', ['en-US', 'de']), 'en-US');
  // A German browser lists en-US as a fallback by default: its rep reads "4 Dec 2026, 23:19 CET", not
  // "Dec 4, 2026, 11:19 PM GMT+1" (an audit; docs/sales.md).
  assert.equal(pageLocale('en', ['de-DE', 'de', 'en-US', 'en']), 'en-GB');
  assert.equal(pageLocale('en', ['de-AT', 'de', 'en']), 'en-GB');
  assert.equal(pageLocale('en', ['en', 'de']), 'en-GB'); // a bare "en" is Intl's US English
  assert.equal(pageLocale('en', ['de-AT', 'de']), 'en-GB'); // never "4. Dez." on an English page
  assert.equal(pageLocale('en', ['EN-au']), 'EN-au');
  assert.equal(pageLocale('de', ['en-US']), 'de');
  assert.equal(pageLocale('en', []), 'en-GB');
});
