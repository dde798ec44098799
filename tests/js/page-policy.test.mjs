// A page whose Permissions Policy forbids the microphone (a `Permissions-Policy: microphone=()` header,
// a common "security headers" default, or an <iframe> without allow="microphone"): Chromium says so
// before any prompt (document.featurePolicy; permissionsPolicy is its newer name), so a voice start refuses at once with its own code,
// creates nothing upstream, offers typing, and tells the site's owner which header to change. It read
// as the visitor's own denial (mic_denied: "set Microphone to Allow … Try again", which cannot help) and,
// with the microphone already granted, created a call first (an audit). In Chromium:
// tests/e2e/test_permissions_policy.py.
import test from 'node:test';
import assert from 'node:assert/strict';
import { CallSession } from '../../static/js/call-session.js';
import { ERRORS } from '../../static/js/errors.js';
import { describeError } from '../../static/js/error-messages.js';
import { allCatalogues, createTranslator } from '../../static/js/i18n.js';
import { pageAllows } from '../../static/js/page-policy.js';
import { createResponse, fakeFetch, fakeLivekit, fakeMic, fakePermissions, record, settle, until } from './fakes.mjs';

/** A document whose policy answers `allowed` for the microphone (Chromium's API, or its older name). */
const policyDoc = (allowed, name = 'permissionsPolicy') => ({
  [name]: { allowsFeature: (feature) => (feature === 'microphone' ? allowed : true) },
});

/**
 * Run `body` with `doc` as the global document (the start reads the page's own), and the warnings it
 * logged until `settled()` says all came (the owner's line comes with a module loaded on the way).
 */
async function onPage(doc, body, settled = () => true) {
  const lines = [];
  const { warn } = console;
  const had = Object.hasOwn(globalThis, 'document');
  const before = globalThis.document;
  globalThis.document = doc;
  console.warn = (line) => lines.push(String(line));
  try {
    await body();
    await until(() => settled(lines), 'the console lines');
  } finally {
    console.warn = warn;
    if (had) globalThis.document = before;
    else delete globalThis.document;
  }
  return lines;
}

await allCatalogues(); // the translators below read them

const creates = (api) => api.requests.filter((r) => r.url.endsWith('/api/calls'));

test("the page's policy is read from document.permissionsPolicy, or featurePolicy (what Chromium ships)", () => {
  assert.equal(pageAllows('microphone', policyDoc(false)), false);
  assert.equal(pageAllows('microphone', policyDoc(false, 'featurePolicy')), false);
  assert.equal(pageAllows('microphone', policyDoc(true)), true);
  assert.equal(pageAllows('camera', policyDoc(false)), true);
  // Firefox and Safari do not say: allowed until the browser refuses the microphone itself.
  assert.equal(pageAllows('microphone', {}), true);
  assert.equal(pageAllows('microphone', undefined), true);
  assert.equal(pageAllows('microphone', { permissionsPolicy: {} }), true);
});

test('a policy refusal has its own code, not mic_denied: no Try again, typing offered, the owner must act', () => {
  assert.deepEqual(ERRORS.mic_blocked_by_page, { retry: false, offerText: true, ownerMustFix: true });
  const en = describeError({ code: 'mic_blocked_by_page', step: 'microphone' }, createTranslator('en').t, { browser: 'chrome' });
  assert.equal(en.code, 'mic_blocked_by_page');
  assert.equal(en.title, 'Voice is off on this website');
  assert.match(en.next, /Continue by typing/); // the button's words (action.switchToText)
  assert.doesNotMatch(`${en.message} ${en.next}`, /Try again|address bar|settings/i);
  assert.equal(en.retry, false);
  assert.equal(en.offerText, true);
  const de = describeError({ code: 'mic_blocked_by_page' }, createTranslator('de').t);
  assert.match(de.message, /Website/);
  assert.match(de.next, /Per Text weiter/); // the German button's words
  assert.doesNotMatch(de.next, /Erneut versuchen/);
});

const ownLine = (w) => w.startsWith('[itellico web-call] ') && w.includes('Permissions-Policy');

for (const permission of ['granted', 'prompt']) {
  test(`voice start on a page that forbids the microphone (permission "${permission}"): nothing asked, nothing created`, async () => {
    const api = fakeFetch(() => [201, createResponse()]);
    const mic = fakeMic();
    let events;
    // One owner's line per page, however often it happens: the first of these tests hears it, the second
    // (the same page, as far as the module is concerned) not again.
    const expected = permission === 'granted' ? 1 : 0;
    const warnings = await onPage(policyDoc(false), async () => {
      const session = new CallSession({ loadLivekit: async () => fakeLivekit(), fetch: api.fetch, mediaDevices: mic, permissions: fakePermissions(permission) });
      events = record(session, ['error', 'ended']);
      try {
        assert.equal(await session.start(), false);
        assert.equal(await session.start(), false); // "Try again" anyway: the same, and no second line
        await settle();
      } finally {
        await session.end(); // a call that did start (the bug) must not keep the test process alive
      }
    }, (lines) => lines.filter(ownLine).length >= expected);
    assert.equal(creates(api).length, 0, 'POST /api/calls was sent for a page that may not use the microphone');
    assert.equal(mic.calls.length, 0, 'the microphone was asked for although the page may not use it');
    assert.deepEqual(events.map((e) => [e.type, e.code ?? e.reason]), [
      ['error', 'mic_blocked_by_page'], ['ended', 'failed'], ['error', 'mic_blocked_by_page'], ['ended', 'failed'],
    ]);
    assert.equal(events[0].step, 'microphone');
    assert.equal(warnings.filter(ownLine).length, expected, warnings.join('\n'));
    if (expected) assert.match(warnings.find(ownLine), /Permissions-Policy: microphone=\(self\)/);
  });
}

test("the owner's line names the header and the value that allows the microphone", async () => {
  // Imported after the tests above: loading it says the line (once per page), which they listened for.
  const { microphonePolicyHint } = await import('../../static/js/policy-hint.js');
  const page = microphonePolicyHint({ framed: false, origin: 'https://shop.example' });
  assert.match(page, /^this page's Permissions-Policy header/);
  assert.match(page, /microphone=\(self\)/);
  assert.match(page, /typing/); // the visitor is offered typing meanwhile
  // In a frame the frame's origin must be allowed by the page around it, and the <iframe> tag must say so.
  const framed = microphonePolicyHint({ framed: true, origin: 'https://call.example.com' });
  assert.match(framed, /allow="microphone"/);
  assert.match(framed, /microphone=\(self "https:\/\/call\.example\.com"\)/);
  assert.match(framed, /Permissions-Policy/);
});

test('the same page still calls by text', async () => {
  const api = fakeFetch(() => [201, createResponse()]);
  const mic = fakeMic();
  await onPage(policyDoc(false), async () => {
    const session = new CallSession({ mode: 'text', loadLivekit: async () => fakeLivekit(), fetch: api.fetch, mediaDevices: mic, permissions: fakePermissions('granted') });
    assert.equal(await session.start(), true);
    await session.end();
  });
  assert.equal(creates(api).length, 1);
  assert.equal(mic.calls.length, 0);
});

test('a page whose policy allows the microphone starts by voice as before', async () => {
  const api = fakeFetch(() => [201, createResponse()]);
  const mic = fakeMic();
  const warnings = await onPage(policyDoc(true), async () => {
    const session = new CallSession({ loadLivekit: async () => fakeLivekit(), fetch: api.fetch, mediaDevices: mic, permissions: fakePermissions('granted') });
    assert.equal(await session.start(), true);
    await session.end();
  });
  assert.equal(creates(api).length, 1);
  assert.equal(mic.calls.length, 1);
  assert.deepEqual(warnings.filter((w) => w.includes('Permissions-Policy')), []);
});
