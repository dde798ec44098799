// The launcher's console lines for a website's owner (static/js/widget-hints.js, which static/widget.js
// imports only when it has something to say): a data- attribute that is a typo of an option, an option
// value the launcher cannot use, a config that got no answer. In Chromium: tests/e2e/test_owner_hints.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { closestName, noAnswer, optionProblems, typos, unloaded } from '../../static/js/widget-hints.js';

const KNOWN = ['demo', 'api-base', 'position', 'label', 'theme', 'accent', 'lang', 'mode', 'variables', 'link',
  'initial-text', 'privacy-url'];
const CHOICES = { position: ['bottom-right', 'bottom-left'], theme: ['auto', 'light', 'dark'], mode: ['voice', 'text'],
  lang: ['en', 'de'] };

test('a typo of an option is named with the option it misses', () => {
  const cases = {
    postion: 'position', possition: 'position', variable: 'variables', thme: 'theme', moed: 'mode', lnag: 'lang',
    apibase: 'api-base', api_base: 'api-base', initialtext: 'initial-text', 'privacy-link': 'privacy-url',
    privacy: 'privacy-url', language: 'lang', demos: 'demo', 'demo-slug': 'demo', pos: 'position',
  };
  for (const [typed, meant] of Object.entries(cases)) assert.equal(closestName(typed, KNOWN), meant, typed);
});

test('another script\'s data- attribute is not called a typo', () => {
  // Cloudflare Rocket Loader, consent managers, Turbo, lazy loaders put their own on script tags.
  for (const name of ['cfasync', 'cookieconsent', 'cookiecategory', 'turbo-track', 'turbo-eval', 'type', 'name',
    'page', 'src', 'id', 'category', 'domain-script', 'nonce', 'cmp-ab', 'usercentrics']) {
    assert.equal(closestName(name, KNOWN), null, name);
  }
});

test('an option value the launcher cannot use is named with the values it takes', () => {
  assert.deepEqual(optionProblems({ theme: 'drak' }, CHOICES),
    ['data-theme "drak" is not auto, light or dark: the demo\'s own is used']);
  assert.deepEqual(optionProblems({ mode: 'txt' }, CHOICES),
    ['data-mode "txt" is not voice or text: the demo\'s own is used']);
  assert.deepEqual(optionProblems({ lang: 'fr' }, CHOICES), ['data-lang "fr" is not en or de: the demo\'s own is used']);
  // A tag's first subtag is its language: `dev` is no German (its first two letters said it was).
  assert.deepEqual(optionProblems({ lang: 'dev' }, CHOICES), ['data-lang "dev" is not en or de: the demo\'s own is used']);
  assert.deepEqual(optionProblems({ position: 'top-left' }, CHOICES),
    ['data-position "top-left" is not bottom-right or bottom-left: the demo\'s own is used']);
  assert.equal(optionProblems({ theme: 'drak', mode: 'txt', lang: 'fr' }, CHOICES).length, 3, 'one line each');
});

test('values the launcher takes, and options left out, say nothing', () => {
  for (const options of [{}, { theme: 'dark', mode: 'text', position: 'bottom-left', lang: 'de' }, { lang: 'de-AT' },
    { lang: 'EN' }, { lang: 'de_AT' }, { theme: '', mode: undefined, lang: null }, { label: 'Hi', accent: 'teal' }]) {
    assert.deepEqual(optionProblems(options, CHOICES), [], JSON.stringify(options));
  }
});

test('no answer: mixed content when an https page asks an http address, else the usual suspects', () => {
  const mixed = noAnswer('http://call.example.com/api/demos/northwind/widget', 'https:');
  assert.match(mixed, /mixed content/);
  assert.match(mixed, /https:\/\/call\.example\.com/, 'the address to use instead');
  // Loopback addresses are allowed from https pages; an http page may ask anything.
  for (const [url, page] of [['http://localhost:5000/x', 'https:'], ['http://127.0.0.1:5000/x', 'https:'],
    ['http://call.example.com/x', 'http:'], ['https://call.example.com/x', 'https:']]) {
    const said = noAnswer(url, page);
    assert.doesNotMatch(said, /mixed content/, url);
    assert.match(said, new RegExp(`no answer this page can read from ${new URL(url).origin.replace(/[.]/g, '\\.')}:`), url);
    assert.match(said, /data-api-base .*no path/, url);
  }
});

/** The console.warn lines `run` caused. */
function warnings(run) {
  const lines = [];
  const original = console.warn;
  console.warn = (line) => lines.push(line);
  try {
    run();
  } finally {
    console.warn = original;
  }
  return lines;
}

test('a config that came back as not the app\'s: its URL, its status, what data-api-base must be', (t) => {
  globalThis.location = { href: 'https://www.shop.example/', protocol: 'https:' };
  t.after(() => { delete globalThis.location; });
  const lines = warnings(() => {
    unloaded('northwind', '/api/demos/northwind/widget', 404);
    unloaded('northwind', '/api/demos/northwind/widget', 404); // "Try again": the same cause
    unloaded('northwind', 'http://call.example.com/api/demos/northwind/widget');
  });
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0], /^\[itellico web-call\] the widget config of demo "northwind" could not be loaded from https:\/\/www\.shop\.example\/api\/demos\/northwind\/widget: it answered HTTP 404, .*data-api-base/);
  assert.match(lines[1], /from http:\/\/call\.example\.com\/api\/demos\/northwind\/widget: .*mixed content/);
});

test('a typo is said once, however many tags carry it', () => {
  const lines = warnings(() => {
    typos(['postion', 'cfasync'], ['demo', 'position']);
    typos(['postion'], ['demo', 'position']);
  });
  assert.deepEqual(lines, ['[itellico web-call] data-postion is not an option of widget.js, so it is ignored: did you mean data-position?']);
});
