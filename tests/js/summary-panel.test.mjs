import test from 'node:test';
import assert from 'node:assert/strict';
import { SummaryPanel } from '../../static/js/summary-panel.js';

/** The after-call panel's parts, as plain objects that keep their text. */
function fakePanel() {
  const parts = {
    '.ended-reason': { textContent: '' },
    '[data-summary="duration"]': { textContent: '' },
    '[data-summary="status"]': { textContent: '' },
    '.summary-note': { textContent: '', hidden: true },
  };
  return { parts, dataset: {}, querySelector: (/** @type {string} */ s) => parts[s] };
}

const tr = { t: (/** @type {string} */ key) => key, has: () => true };

test('the summary shows the call length the page counted, as its clock did, not a second figure', async () => {
  // The backend counts from the create (the agent's join included): 17 s where the clock said 0:14,
  // both on screen at once, and the `ended` event said 14.
  const panel = fakePanel();
  const session = { callId: 'c1', summary: async () => ({ ok: true, data: { status: 'completed', duration_seconds: 17 } }) };
  await new SummaryPanel(/** @type {any} */ (panel)).load({ reason: 'hangup', callId: 'c1', durationSeconds: 14 }, session, tr, { lines: 2 });
  assert.equal(panel.parts['[data-summary="duration"]'].textContent, '0:14');
  assert.equal(panel.parts['[data-summary="status"]'].textContent, 'callStatus.completed');
  assert.equal(panel.dataset.loaded, 'true');
});

test('a call the agent never answered has no length, whatever the backend counted', async () => {
  const panel = fakePanel();
  const session = { callId: 'c2', summary: async () => ({ ok: true, data: { status: 'completed', duration_seconds: 3 } }) };
  await new SummaryPanel(/** @type {any} */ (panel)).load({ reason: 'cancelled', callId: 'c2', durationSeconds: null }, session, tr, { lines: 0 });
  assert.equal(panel.parts['[data-summary="duration"]'].textContent, '–');
});

test('a call cancelled before it existed says so, and the panel is done (it showed "…" for good)', async () => {
  const panel = fakePanel();
  const session = { callId: null, summary: async () => assert.fail('nothing to ask about') };
  await new SummaryPanel(/** @type {any} */ (panel)).load({ reason: 'cancelled', callId: null, durationSeconds: null }, session, tr, { lines: 0 });
  assert.equal(panel.parts['[data-summary="status"]'].textContent, '–');
  assert.equal(panel.parts['.summary-note'].textContent, 'summary.noCall');
  assert.equal(panel.dataset.loaded, 'true');
});

test('the note points to the transcript only when there is one', async () => {
  const failing = { callId: 'c3', summary: async () => ({ ok: false, error: { code: 'upstream_unavailable' } }) };
  const empty = fakePanel();
  await new SummaryPanel(/** @type {any} */ (empty)).load({ reason: 'hangup', callId: 'c3', durationSeconds: 2 }, failing, tr, { lines: 0 });
  assert.equal(empty.parts['.summary-note'].textContent, 'summary.unavailable');
  const some = fakePanel();
  await new SummaryPanel(/** @type {any} */ (some)).load({ reason: 'hangup', callId: 'c3', durationSeconds: 2 }, failing, tr, { lines: 3 });
  assert.equal(some.parts['.summary-note'].textContent, 'summary.unavailable summary.transcriptBelow');
});

test('a summary asked for while offline (a dropped call) is asked again once the browser is back online', async () => {
  // The GET ran while the network was still down and was never retried: "Status –" for good.
  const panel = fakePanel();
  const answers = [{ ok: false, error: { code: 'network_error' } }, { ok: true, data: { status: 'completed' } }];
  const session = { callId: 'c4', summary: async () => answers.shift() };
  let online;
  const backOnline = () => new Promise((resolve) => { online = resolve; });
  const loading = new SummaryPanel(/** @type {any} */ (panel), { backOnline }).load({ reason: 'dropped', callId: 'c4', durationSeconds: 9 }, session, tr, { lines: 1 });
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(panel.parts['[data-summary="status"]'].textContent, '–');
  assert.equal(panel.dataset.loaded, 'false', 'still waiting for the network');
  online();
  await loading;
  assert.equal(panel.parts['[data-summary="status"]'].textContent, 'callStatus.completed');
  assert.equal(panel.dataset.loaded, 'true');
});

test('a cancelled call says it did not start, never the backend\'s "Completed" (its hang-up, hang-up.js)', async () => {
  // "The call was cancelled." stood next to "Status: Completed": the create had made the call, and the
  // page's own hang-up of it is what the backend recorded as completed.
  const panel = fakePanel();
  let asked = 0;
  const session = { callId: 'c5', summary: async () => { asked += 1; return { ok: true, data: { status: 'completed' } }; } };
  await new SummaryPanel(/** @type {any} */ (panel)).load({ reason: 'cancelled', callId: 'c5', durationSeconds: null }, session, tr, { lines: 0 });
  assert.equal(panel.parts['.ended-reason'].textContent, 'ended.cancelled');
  assert.equal(panel.parts['[data-summary="status"]'].textContent, '–');
  assert.equal(panel.parts['.summary-note'].textContent, 'summary.noCall');
  assert.equal(panel.parts['.summary-note'].hidden, false);
  assert.equal(panel.dataset.loaded, 'true');
  assert.equal(asked, 1, 'the call is still read once, as every call with an id');
});
