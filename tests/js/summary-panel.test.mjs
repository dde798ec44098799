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
  await new SummaryPanel(/** @type {any} */ (panel)).load({ reason: 'hangup', callId: 'c1', durationSeconds: 14 }, session, tr);
  assert.equal(panel.parts['[data-summary="duration"]'].textContent, '0:14');
  assert.equal(panel.parts['[data-summary="status"]'].textContent, 'callStatus.completed');
  assert.equal(panel.dataset.loaded, 'true');
});

test('a call the agent never answered has no length, whatever the backend counted', async () => {
  const panel = fakePanel();
  const session = { callId: 'c2', summary: async () => ({ ok: true, data: { status: 'completed', duration_seconds: 3 } }) };
  await new SummaryPanel(/** @type {any} */ (panel)).load({ reason: 'cancelled', callId: 'c2', durationSeconds: null }, session, tr);
  assert.equal(panel.parts['[data-summary="duration"]'].textContent, '–');
});
