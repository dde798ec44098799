import test from 'node:test';
import assert from 'node:assert/strict';
import { CORE, allCatalogues, createTranslator, interpolate, resolveLanguage } from '../../static/js/i18n.js';

const CATALOGUES = await allCatalogues();

test('browser languages: de* → de, others → en', () => {
  assert.equal(resolveLanguage(null, ['de-AT', 'en']), 'de');
  assert.equal(resolveLanguage(undefined, ['de']), 'de');
  assert.equal(resolveLanguage(null, ['fr-FR', 'de-CH']), 'de', 'first supported language in the list wins');
  assert.equal(resolveLanguage(null, ['fr-FR']), 'en');
  assert.equal(resolveLanguage(null, []), 'en');
});

test('the lang attribute overrides the browser', () => {
  assert.equal(resolveLanguage('en', ['de-DE']), 'en');
  assert.equal(resolveLanguage('DE_de', ['en-US']), 'de');
  assert.equal(resolveLanguage('xx', ['de-DE']), 'de', 'an unsupported attribute falls through to the browser');
});

test('a key missing in German falls back to English, then to the key', () => {
  const catalogues = { en: { a: 'A en', b: 'B en' }, de: { a: 'A de' } };
  const { t, has } = createTranslator('de', catalogues);
  assert.equal(t('a'), 'A de');
  assert.equal(t('b'), 'B en');
  assert.equal(t('missing.key'), 'missing.key');
  assert.equal(has('b'), true);
  assert.equal(has('missing.key'), false);
});

test('unknown language → English translator', () => {
  assert.equal(createTranslator('xx').lang, 'en');
  assert.equal(createTranslator('xx').t('action.start'), 'Start call');
});

test('placeholders are filled, unknown ones stay visible', () => {
  assert.equal(interpolate('in {seconds} s', { seconds: 5 }), 'in 5 s');
  assert.equal(interpolate('in {x} s', {}), 'in {x} s');
  assert.equal(createTranslator('de').t('error.retry.in', { seconds: 30 }), 'Bitte versuchen Sie es in 30 Sekunden erneut.');
});

test('catalogues: each covers every English key and adds none of its own (a page fetches one, never English for a gap)', () => {
  const en = Object.keys(CATALOGUES.en);
  for (const [language, catalogue] of Object.entries(CATALOGUES)) {
    assert.deepEqual(en.filter((k) => !Object.hasOwn(catalogue, k)), [], `${language} lacks these`);
    assert.deepEqual(Object.keys(catalogue).filter((k) => !Object.hasOwn(CATALOGUES.en, k)), [], `${language} adds these`);
  }
});

test('CORE, the words of a page that got no catalogue, are English’s own', () => {
  assert.ok(Object.keys(CORE).length >= 10);
  for (const [key, value] of Object.entries(CORE)) assert.equal(value, CATALOGUES.en[key], key);
});

test('placeholders match between languages', () => {
  const names = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  for (const [key, value] of Object.entries(CATALOGUES.en)) {
    if (Object.hasOwn(CATALOGUES.de, key)) assert.equal(names(CATALOGUES.de[key]), names(value), key);
  }
});

test('a language is fetched when first needed, and only it: CORE’s English until it is there', async () => {
  const fresh = await import('../../static/js/i18n.js?lazy');
  const before = fresh.createTranslator('de');
  assert.equal(before.lang, 'en', 'not loaded yet: English');
  assert.equal(before.ready, false);
  assert.equal(before.t('action.start'), 'Start call');
  assert.equal(await fresh.loadCatalogue('de'), true);
  assert.equal(fresh.createTranslator('de').lang, 'de');
  assert.equal(fresh.createTranslator('de').ready, true);
  assert.equal(fresh.createTranslator('de').t('action.start'), CATALOGUES.de['action.start']);
  assert.equal(fresh.createTranslator('en').ready, false, 'German brought no English with it');
  assert.equal(await fresh.loadLanguage('en'), 'en');
  assert.equal(fresh.createTranslator('en').t('label.micLevel'), CATALOGUES.en['label.micLevel']);
  assert.equal(await fresh.loadCatalogue('xx'), false, 'an unknown language is never loaded');
  assert.equal(await fresh.loadLanguage('xx'), 'en', 'an unknown language: English');
});

test('a button’s visible words are in its accessible name (WCAG 2.5.3: voice control says what it sees)', () => {
  // The mute button shows a short label and is named by the long one: German "Ton an" was not in
  // "Mikrofon einschalten", and "Ton an" reads as the speaker's sound, not the microphone.
  for (const [language, catalogue] of Object.entries(CATALOGUES)) {
    for (const key of Object.keys(catalogue).filter((k) => k.endsWith('Short'))) {
      const named = catalogue[key.replace(/Short$/, '')];
      assert.ok(named, `${language}: ${key} has no long name`);
      assert.ok(named.toLowerCase().includes(catalogue[key].toLowerCase()), `${language}: "${catalogue[key]}" is not in "${named}"`);
    }
  }
});

test('each catalogue types its ellipsis one way: German " …" as the server and the launcher do, English "word…"', () => {
  // German had "Verbindung wird aufgebaut…" beside the launcher's "Wird geladen …" and the demo page's
  // "Ihre Demo wird geöffnet …" (webcall/demo_page.py, static/widget.js): the spaced DIN 5008 form.
  const otherWay = { de: /(^|[^ ])…/, en: /(^|\s)…/ }; // an ellipsis not as the language types it
  for (const [language, catalogue] of Object.entries(CATALOGUES)) {
    assert.ok(otherWay[language], `how does ${language} type an ellipsis? (a new catalogue: add it here)`);
    const odd = Object.entries(catalogue).filter(([, text]) => otherWay[language].test(text));
    assert.deepEqual(odd, [], `${language}: an ellipsis typed another way`);
  }
  assert.ok(Object.values(CATALOGUES.de).some((text) => text.includes(' …')), 'German has ellipses at all');
});

test('every call status itellico sends has words in every catalogue', () => {
  // The after-call panel showed a status without words as it came ("transferred", in English on a
  // German page). The statuses: webcall/formatting.py's STATUS_WORDS, the studio's side of the same.
  for (const [lang, catalogue] of Object.entries(CATALOGUES)) {
    for (const status of ['in_progress', 'completed', 'failed', 'transferred']) {
      assert.ok(catalogue[`callStatus.${status}`], `${lang}: callStatus.${status}`);
    }
  }
});

// "Tap to hear the agent" told keyboard and mouse users to tap (an a11y audit): words for every device.
test('the button that plays blocked agent audio says no "tap", in every catalogue', () => {
  for (const [lang, words] of Object.entries(CATALOGUES)) {
    assert.ok(words['action.tapToHear'], lang);
    assert.doesNotMatch(words['action.tapToHear'], /\btap|tipp|touch/i, lang);
  }
});

// M mutes only while focus is in the call (static/js/call-chrome.js isMuteShortcut): "Press M to mute"
// alone was no longer true from the bare page.
test('the M key hint says it works while focus is in the call', () => {
  assert.match(CATALOGUES.en['hint.shortcut'], /focus/i);
  assert.match(CATALOGUES.de['hint.shortcut'], /Fokus/);
  for (const [lang, words] of Object.entries(CATALOGUES)) assert.match(words['hint.shortcut'], /\bM\b/, lang);
});
