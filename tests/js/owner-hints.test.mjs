// The console lines for a website's owner from the inline element's side (static/js/owner-hints.js,
// static/js/api-client.js, static/js/session-bridge.js): an attribute under a name the element does not
// read, the address the element calls when `api-base` is left out, an answer that is not the app's, an
// unknown demo, a connection the page's Content-Security-Policy blocks. In Chromium, on a host page on
// another origin: tests/e2e/test_owner_hints.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createApiClient } from '../../static/js/api-client.js';
import { blockedHint, hintRefusedCall, misnamedAttribute } from '../../static/js/owner-hints.js';
import { defaultApiBase } from '../../static/js/session-bridge.js';

/** The console.warn lines `run` caused. */
async function warnings(run) {
  const lines = [];
  const original = console.warn;
  console.warn = (line) => lines.push(String(line));
  try {
    await run();
  } finally {
    console.warn = original;
  }
  return lines;
}

test('an attribute the element does not read, under the name of one it does', () => {
  assert.equal(misnamedAttribute('data-demo'), 'demo', 'the launcher script tag\'s name');
  assert.equal(misnamedAttribute('data-api-base'), 'api-base');
  assert.equal(misnamedAttribute('apibase'), 'api-base', 'HTML lowercases apiBase');
  assert.equal(misnamedAttribute('api_base'), 'api-base');
  assert.equal(misnamedAttribute('data-mode'), 'mode');
  assert.equal(misnamedAttribute('maxcallseconds'), 'max-call-seconds');
  assert.equal(misnamedAttribute('data-privacy-url'), 'privacy-url');
  // The element's own names, HTML's and the element's own state attributes: nothing to say.
  for (const name of ['demo', 'api-base', 'mode', 'privacy-url', 'confirm-leave', 'class', 'id', 'style', 'hidden',
    'aria-label', 'data-state', 'data-agent-state', 'data-testid', 'slot']) {
    assert.equal(misnamedAttribute(name), null, name);
  }
});

test('without api-base the element calls the app that served its module', () => {
  assert.equal(defaultApiBase('https://call.example.com/static/js/chunk-AB12.js', 'https://www.shop.example'),
    'https://call.example.com');
  assert.equal(defaultApiBase('http://127.0.0.1:5000/static/js/session-bridge.js', 'http://localhost:8000'),
    'http://127.0.0.1:5000', 'another port or host name is another origin');
  // The app's own pages (and a copy of the module on the site itself): the page's origin, as before.
  assert.equal(defaultApiBase('https://call.example.com/static/js/itellico-call.js', 'https://call.example.com'), '');
});

test('an unknown demo is named with the app that does not know it, as the launcher does', async () => {
  const lines = await warnings(() => hintRefusedCall({ code: 'unknown_demo', message: '' }, 'acme', 'https://call.example.com'));
  assert.deepEqual(lines, ['[itellico web-call] there is no demo "acme" on https://call.example.com; check the demo attribute.']);
});

const html = (status) => new Response(`<h1>${status}</h1>`, { status, headers: { 'Content-Type': 'text/html' } });

test('an answer that is not the app\'s names the URL tried, once, and is the owner\'s to fix', async () => {
  const api = createApiClient({ apiBase: 'https://www.shop.example', fetch: async () => html(501) });
  let result;
  const lines = await warnings(async () => {
    result = await api.createCall({ demo: 'northwind' });
    await api.createCall({ demo: 'northwind' });
  });
  assert.equal(result.error.code, 'misconfigured', 'the page is not set up: not "something went wrong on our side"');
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], /^\[itellico web-call\] POST https:\/\/www\.shop\.example\/api\/calls answered HTTP 501/);
  assert.match(lines[0], /api-base/);

  const notFound = createApiClient({ apiBase: 'https://call.example.com/webcall', fetch: async () => html(404) });
  const missing = await warnings(async () => { result = await notFound.createCall({}); });
  assert.equal(result.error.code, 'misconfigured');
  assert.match(missing[0], /POST https:\/\/call\.example\.com\/webcall\/api\/calls answered HTTP 404/);
});

test('a proxy\'s error page is named too, and keeps its meaning for the visitor', async () => {
  const api = createApiClient({ apiBase: 'https://call.example.com', fetch: async () => html(502) });
  let result;
  const lines = await warnings(async () => { result = await api.createCall({}); });
  assert.equal(result.error.code, 'upstream_unavailable');
  assert.match(lines[0], /HTTP 502/);
});

test('the app\'s own refusals say nothing of the kind', async () => {
  const ours = new Response(JSON.stringify({ error: { code: 'unknown_demo', message: 'no such demo' } }),
    { status: 404, headers: { 'Content-Type': 'application/json' } });
  const api = createApiClient({ apiBase: 'https://call.example.com', fetch: async () => ours });
  let result;
  const lines = await warnings(async () => { result = await api.createCall({ demo: 'acme' }); });
  assert.equal(result.error.code, 'unknown_demo');
  assert.deepEqual(lines, []);
});

test('a connection the page\'s policy blocks: its directive and every origin to add, no token', async () => {
  const created = { call_id: 'c1', token: 't', livekit_url: 'wss://lk.example.com', handle: 'h' };
  const api = createApiClient({
    apiBase: 'https://call.example.com',
    fetch: async () => new Response(JSON.stringify(created), { status: 201, headers: { 'Content-Type': 'application/json' } }),
  });
  assert.equal((await api.createCall({})).ok, true);
  const signalling = blockedHint({ blockedURI: 'wss://lk.example.com/rtc/v1?access_token=SECRET', effectiveDirective: 'connect-src' });
  assert.ok(signalling, 'the LiveKit URL of the create answer is watched');
  assert.match(signalling, /Content-Security-Policy/);
  assert.match(signalling, /add wss:\/\/lk\.example\.com https:\/\/lk\.example\.com to connect-src/);
  assert.doesNotMatch(signalling, /SECRET|access_token/);
  // livekit-client's twin request (prepareConnection) is the same cause, said in the same words.
  assert.equal(blockedHint({ blockedURI: 'https://lk.example.com/', effectiveDirective: 'connect-src' }), signalling);
  const app = blockedHint({ blockedURI: 'https://call.example.com/api/calls', effectiveDirective: 'connect-src' });
  assert.match(app, /add https:\/\/call\.example\.com to connect-src/);
  // The page's own connections, and what is not a connection (the launcher names its own): not ours to say.
  assert.equal(blockedHint({ blockedURI: 'https://analytics.example/collect', effectiveDirective: 'connect-src' }), null);
  assert.equal(blockedHint({ blockedURI: 'https://call.example.com/static/css/itellico-call.css', effectiveDirective: 'style-src-elem' }), null);
  assert.equal(blockedHint({ blockedURI: 'inline', effectiveDirective: 'script-src-elem' }), null);
});

// docs/widget.md: one warning per cause, not again on a new attempt (the call button) or a second element.
test('a refused origin, a refused request and a bad api-base are each said once', async (t) => {
  globalThis.self = /** @type {any} */ ({ origin: 'https://www.shop.example' }); // the page's (a browser's global)
  t.after(() => { delete globalThis.self; });
  const lines = await warnings(async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      hintRefusedCall({ code: 'origin_not_allowed', message: '' }, 'once-origin');
      hintRefusedCall({ code: 'invalid_request', message: 'variable "x" is not allowed (once)' }, 'once');
      createApiClient({ apiBase: 'ftp://once.example' });
    }
  });
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(lines[0], /calls from https:\/\/www.shop.example are not allowed for demo "once-origin"/);
  assert.match(lines[1], /the call was refused: variable "x" is not allowed \(once\)/);
  assert.match(lines[2], /api-base "ftp:\/\/once.example" is not an http\(s\) URL/);
});
