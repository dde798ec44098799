// The request id a visitor can quote: from our server's error (body or header) to the error panel's
// small print, "Reference: <id>", in every language.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createApiClient } from '../../static/js/api-client.js';
import { CallSession } from '../../static/js/call-session.js';
import { ErrorPanel } from '../../static/js/error-panel.js';
import { allCatalogues, createTranslator } from '../../static/js/i18n.js';
import { createResponse, fakeFetch, fakeLivekit, fakeMic, record } from './fakes.mjs';

const CATALOGUES = await allCatalogues();

const ID = '4f1c2b9e8d7a4c3b9e0f1a2b3c4d5e6f';
const answer = (status, body, headers = {}) => async () =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

test('a server error carries its request id, from the body or else the X-Request-ID header', async () => {
  const fromBody = createApiClient({ fetch: answer(502, { error: { code: 'upstream_unavailable', message: 'm', request_id: ID } }) });
  assert.equal((await fromBody.createCall({})).error.requestId, ID);
  const fromHeader = createApiClient({ fetch: answer(502, '<h1>Bad gateway</h1>', { 'X-Request-ID': ID }) });
  assert.equal((await fromHeader.createCall({})).error.requestId, ID);
  const none = createApiClient({ fetch: answer(502, { error: { code: 'upstream_unavailable', message: 'm' } }) });
  assert.equal((await none.createCall({})).error.requestId, null);
});

test('a failed create gives the error event its request id; a later failure of another call does not', async () => {
  let fail = true;
  const api = fakeFetch(() => (fail
    ? [502, { error: { code: 'upstream_unavailable', message: 'm', request_id: ID } }, { 'X-Request-ID': ID }]
    : [201, createResponse()]));
  const session = new CallSession({ loadLivekit: async () => fakeLivekit({ connectFails: true }), fetch: api.fetch, mediaDevices: fakeMic() });
  const events = record(session, ['error']);
  await session.start();
  assert.deepEqual([events[0].code, events[0].step, events[0].requestId], ['upstream_unavailable', 'creating-call', ID]);
  fail = false;
  await session.start();
  assert.deepEqual([events[1].code, events[1].requestId], ['livekit_unreachable', undefined]);
});

/** The panel's elements as the template has them (element-template.js), enough for render(). */
function fakePanel() {
  const elements = new Map();
  const element = () => ({ textContent: '', hidden: false, disabled: false, setAttribute() {} });
  return {
    dataset: {},
    elements,
    querySelector(selector) {
      if (!elements.has(selector)) elements.set(selector, element());
      return elements.get(selector);
    },
  };
}

test('the error panel shows "Reference: <id>" in its small print, in every language, and nothing without one', () => {
  for (const lang of Object.keys(CATALOGUES)) {
    const { t } = createTranslator(lang);
    assert.match(CATALOGUES[lang]['error.reference'], /\{id\}/, lang);
    const panel = fakePanel();
    const view = new ErrorPanel(/** @type {any} */ (panel), /** @type {any} */ ({ setAttribute() {}, removeAttribute() {} }), t, () => true);
    view.render({ code: 'upstream_unavailable', message: '', step: 'creating-call', requestId: ID, fatal: true }, { t, browser: 'chrome', canSwitchToText: true });
    const reference = panel.elements.get('.error-ref');
    assert.equal(reference.textContent, t('error.reference', { id: ID }), lang);
    assert.ok(reference.textContent.includes(ID), lang);
    // Empty, the line is not shown at all (.error-ref:empty in the stylesheet).
    view.render({ code: 'mic_denied', message: '', step: 'microphone', fatal: true }, { t, browser: 'chrome', canSwitchToText: true });
    assert.equal(reference.textContent, '', lang);
  }
});

test('the error panel counts down from Retry-After for an unavailable service too, holding Try again', () => {
  const { t } = createTranslator('en');
  const panel = fakePanel();
  const held = new Map();
  const callButton = { setAttribute: (k, v) => held.set(k, v), removeAttribute: (k) => held.delete(k) };
  const view = new ErrorPanel(/** @type {any} */ (panel), /** @type {any} */ (callButton), t, () => true);
  const error = { code: 'upstream_unavailable', message: '', step: 'creating-call', retryAfter: 5, fatal: true };
  view.arm(error);
  try {
    view.render(error, { t, browser: 'chrome', canSwitchToText: true });
    assert.equal(panel.elements.get('[data-action="retry"]').disabled, true);
    assert.equal(panel.elements.get('.error-next').textContent, 'Please try again in 5 seconds.');
    assert.equal(held.get('aria-disabled'), 'true');
  } finally {
    view.stop();
  }
});
