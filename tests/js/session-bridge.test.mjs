// What <itellico-call> hears from its CallSession and what the host page gets (static/js/session-bridge.js):
// the host's `itellico-call:*` details are its own (a listener that changes them changes nothing of the
// element's), and a new call's first state event says which state the element left. In Chromium, on a
// host page: tests/e2e/test_widget_inline_host_script.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CallEvent } from '../../static/js/call-events.js';
import { bridgeSession } from '../../static/js/session-bridge.js';

/** A session that emits as CallSession does (CustomEvent, the detail as given), and a host page's element. */
function bridged(handlers, previous = 'idle') {
  const session = new EventTarget();
  const host = new EventTarget();
  bridgeSession(session, /** @type {any} */ (host), () => true, handlers, previous);
  const emit = (type, detail) => session.dispatchEvent(new CustomEvent(type, { detail }));
  /** Every `itellico-call:<type>` detail the host heard. */
  const heard = (type) => {
    const details = [];
    host.addEventListener(`itellico-call:${type}`, (e) => details.push(/** @type {CustomEvent} */ (e).detail));
    return details;
  };
  return { host, emit, heard };
}

const line = (id, text) => ({ id, role: 'user', text, final: true, source: 'typed', timestamp: 1 });

test("a host listener that reorders and masks the transcript's detail leaves the element's lines alone", () => {
  let kept = [];
  const { host, emit } = bridged({ [CallEvent.Transcript]: (d) => { kept = d.entries; } });
  // An owner's "latest first" list, and digits masked for analytics (the audit's host page).
  host.addEventListener('itellico-call:transcript', (e) => {
    const { detail } = /** @type {CustomEvent} */ (e);
    detail.entries.reverse();
    for (const entry of detail.entries) entry.text = entry.text.replace(/\d/g, '#');
    detail.entry.text = '';
  });
  const entries = [line('typed-1', 'hello'), line('typed-2', 'my number is 0123 456')];
  emit(CallEvent.Transcript, { entry: { ...entries[1] }, entries });
  assert.deepEqual(kept.map((e) => e.text), ['hello', 'my number is 0123 456']);
});

test("a host listener that changes an error's or an end's detail leaves what the element keeps alone", () => {
  let error = null;
  let ended = null;
  const { host, emit } = bridged({ [CallEvent.Error]: (d) => { error = d; }, [CallEvent.Ended]: (d) => { ended = d; } });
  host.addEventListener('itellico-call:error', (e) => { /** @type {CustomEvent} */ (e).detail.code = 'x'; });
  host.addEventListener('itellico-call:ended', (e) => { /** @type {CustomEvent} */ (e).detail.reason = 'x'; });
  emit(CallEvent.Error, { code: 'rate_limited', message: 'm', step: 'creating-call', fatal: true });
  emit(CallEvent.Ended, { reason: 'failed', callId: null, durationSeconds: null });
  assert.equal(error.code, 'rate_limited');
  assert.equal(ended.reason, 'failed');
});

test("a new call's first state event says the element came from the state the last call left", () => {
  const { emit, heard } = bridged({}, 'ended');
  const states = heard(CallEvent.State);
  // Each call is a new CallSession, which starts idle.
  emit(CallEvent.State, { state: 'connecting', previous: 'idle' });
  emit(CallEvent.State, { state: 'waiting-for-agent', previous: 'connecting' });
  assert.deepEqual(states, [
    { state: 'connecting', previous: 'ended' },
    { state: 'waiting-for-agent', previous: 'connecting' },
  ]);
});

test("the element's first call starts from idle, and after an error from error", () => {
  for (const before of ['idle', 'error']) {
    const { emit, heard } = bridged({}, before);
    const states = heard(CallEvent.State);
    emit(CallEvent.State, { state: 'requesting-mic', previous: 'idle' });
    assert.deepEqual(states, [{ state: 'requesting-mic', previous: before }]);
  }
});
