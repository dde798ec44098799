import test from 'node:test';
import assert from 'node:assert/strict';
import { CallChrome } from '../../static/js/call-chrome.js';
import { allCatalogues } from '../../static/js/i18n.js';

const CATALOGUES = await allCatalogues();

/** An element that records the custom properties written to it. */
function fakeElement() {
  const writes = [];
  return { writes, style: { setProperty: (name, value) => writes.push([name, value]) }, setAttribute() {} };
}

function chrome() {
  const parts = { meter: fakeElement(), bars: [fakeElement(), fakeElement(), fakeElement()] };
  return { parts, chrome: new CallChrome(/** @type {any} */ (parts), (key) => key) };
}

test('the agent visualizer writes a bar only when its level changed', () => {
  const { parts, chrome: c } = chrome();
  c.renderAgentLevel({ level: 0, bands: [0.5, 0.2, 0] });
  c.renderAgentLevel({ level: 0, bands: [0.5, 0.2, 0] }); // the same sample again
  c.renderAgentLevel({ level: 0, bands: [0.501, 0.3, 0] }); // the first bar moves less than a step
  assert.deepEqual(parts.bars.map((b) => b.writes), [
    [['--v', '0.6875']],
    [['--v', '0.28125'], ['--v', '0.40625']],
    [['--v', '0']],
  ]);
});

test('the mic meter writes its level only when it changed, and a muted microphone reads 0 once', () => {
  const { parts, chrome: c } = chrome();
  c.renderMicLevel(0.42, false);
  c.renderMicLevel(0.421, false);
  c.renderMicLevel(0.6, true);
  c.renderMicLevel(0.3, true);
  assert.deepEqual(parts.meter.writes, [['--level', '0.42'], ['--level', '0']]);
});

/** Every part renderState() draws, as plain objects that keep what is written to them. */
function stateParts() {
  const el = () => ({
    dataset: {}, textContent: '', hidden: false, disabled: false, innerHTML: '', attributes: {},
    setAttribute(name, value) { this.attributes[name] = value; },
    removeAttribute(name) { delete this.attributes[name]; },
  });
  const names = ['card', 'title', 'subtitle', 'status', 'statusText', 'callButton', 'callIcon', 'callLabel', 'timer',
    'hint', 'controls', 'shortcutHint', 'composer', 'input'];
  const parts = Object.fromEntries(names.map((n) => [n, el()]));
  const hintText = el();
  return { ...parts, $: () => hintText };
}

test('a dropped call’s status says it dropped, in every language; another failed call says it failed', () => {
  // The status said "Call failed" ("Anruf fehlgeschlagen") while the panels under it said the connection dropped.
  for (const [language, catalogue] of Object.entries(CATALOGUES)) {
    const parts = stateParts();
    const t = (/** @type {string} */ key) => catalogue[key] ?? key;
    const c = new CallChrome(/** @type {any} */ (parts), t);
    c.renderState('error', { voice: true, title: 'Ava', hadCall: true, dropped: true });
    assert.equal(parts.status.dataset.state, 'error', language);
    assert.equal(parts.statusText.textContent, catalogue['state.dropped'], language);
    assert.ok(catalogue['state.dropped'] && catalogue['state.dropped'] !== catalogue['state.error'], language);
    c.renderState('error', { voice: true, title: 'Ava', hadCall: false, dropped: false });
    assert.equal(parts.statusText.textContent, catalogue['state.error'], language);
    c.renderState('ended', { voice: true, title: 'Ava', hadCall: true, dropped: true }); // only an error says so
    assert.equal(parts.statusText.textContent, catalogue['state.ended'], language);
  }
});

/** navigator.wakeLock whose request answers when the test says. */
function heldWakeLock(t) {
  const locks = [];
  let answer;
  const wakeLock = {
    request: () => new Promise((resolve) => {
      answer = () => {
        const lock = new EventTarget();
        lock.released = false;
        lock.release = async () => { lock.released = true; lock.dispatchEvent(new Event('release')); };
        locks.push(lock);
        resolve(lock);
      };
    }),
  };
  const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { wakeLock }, configurable: true });
  globalThis.document ??= /** @type {any} */ ({});
  t.after(() => { if (had) Object.defineProperty(globalThis, 'navigator', had); });
  return { locks, answer: () => answer() };
}

test('a wake lock that arrives after the call ended is let go at once', async (t) => {
  // The call ended (or the element went) while the browser was still granting the lock: the lock then
  // kept the screen on until the tab was hidden.
  const wake = heldWakeLock(t);
  const { chrome: c } = chrome();
  const asked = c.acquireWakeLock();
  c.releaseWakeLock();
  wake.answer();
  await asked;
  assert.equal(wake.locks.length, 1);
  assert.equal(wake.locks[0].released, true);
});

test('a wake lock the browser dropped (tab hidden) is asked for again when the tab is back', async (t) => {
  const wake = heldWakeLock(t);
  const { chrome: c } = chrome();
  const first = c.acquireWakeLock();
  wake.answer();
  await first;
  await wake.locks[0].release(); // the browser lets it go when the tab is hidden
  const again = c.acquireWakeLock();
  wake.answer();
  await again;
  assert.equal(wake.locks.length, 2);
  assert.equal(wake.locks[1].released, false);
  c.releaseWakeLock();
  assert.equal(wake.locks[1].released, true);
});

test('the status line is written only when its words change: a redraw is no news for a screen reader', () => {
  // role=status: each write of its text (a new text node) may be announced. Every redraw (online and
  // offline events, attribute changes) wrote "In call" again, right after "Connection lost. Reconnecting…"
  // (an audit, with a MutationObserver in Chromium).
  const parts = stateParts();
  let writes = 0;
  let text = '';
  Object.defineProperty(parts.statusText, 'textContent', {
    get: () => text,
    set: (value) => { writes += 1; text = value; },
  });
  const c = new CallChrome(/** @type {any} */ (parts), (key) => key);
  for (let i = 0; i < 3; i += 1) c.renderState('in-call', { voice: true, title: 'Ava', hadCall: true });
  assert.equal(writes, 1);
  c.renderState('ending', { voice: true, title: 'Ava', hadCall: true });
  assert.deepEqual([writes, text], [2, 'state.ending']);
});
