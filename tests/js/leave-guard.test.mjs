import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CALL_STATES } from '../../static/js/call-state.js';
import { LeaveGuard } from '../../static/js/leave-guard.js';

/** A window that counts its beforeunload listeners and can fire the event. */
function fakeWindow() {
  const listeners = new Set();
  return {
    listeners,
    addEventListener: (type, fn) => { if (type === 'beforeunload') listeners.add(fn); },
    removeEventListener: (type, fn) => { if (type === 'beforeunload') listeners.delete(fn); },
    /** Whether leaving would be questioned: any listener called preventDefault. */
    wouldAsk() {
      let asked = false;
      const event = { preventDefault: () => { asked = true; }, returnValue: '' };
      for (const fn of listeners) fn(event);
      return asked && Boolean(event.returnValue);
    },
  };
}

function fakeHost(win, { confirm = true } = {}) {
  const attributes = new Set(confirm ? ['confirm-leave'] : []);
  return {
    isConnected: true,
    ownerDocument: { defaultView: win },
    hasAttribute: (name) => attributes.has(name),
    toggle: (on) => (on ? attributes.add('confirm-leave') : attributes.delete('confirm-leave')),
  };
}

test('it listens only while a call is being set up or running', () => {
  const win = fakeWindow();
  const guard = new LeaveGuard(/** @type {any} */ (fakeHost(win)));
  const asking = {};
  for (const state of CALL_STATES) {
    guard.sync(state);
    asking[state] = win.listeners.size === 1 && win.wouldAsk();
  }
  assert.deepEqual(asking, {
    idle: false,
    'requesting-mic': true,
    connecting: true,
    'waiting-for-agent': true,
    'in-call': true,
    ending: true,
    ended: false,
    error: false,
  });
  assert.equal(win.listeners.size, 0);
});

test('without the attribute it never listens; set or removed mid-call it follows', () => {
  const win = fakeWindow();
  const host = fakeHost(win, { confirm: false });
  const guard = new LeaveGuard(/** @type {any} */ (host));
  guard.sync('in-call');
  assert.equal(win.listeners.size, 0);
  host.toggle(true);
  guard.sync('in-call');
  assert.equal(guard.armed, true);
  host.toggle(false);
  guard.sync('in-call');
  assert.equal(win.listeners.size, 0);
});

test('an element taken out of the page mid-call stops listening as its call ends', () => {
  const win = fakeWindow();
  const host = fakeHost(win);
  const guard = new LeaveGuard(/** @type {any} */ (host));
  guard.sync('in-call');
  host.isConnected = false;
  guard.sync('ending');
  assert.equal(win.listeners.size, 0);
});

test('two elements in calls each keep their own listener', () => {
  const win = fakeWindow();
  const first = new LeaveGuard(/** @type {any} */ (fakeHost(win)));
  const second = new LeaveGuard(/** @type {any} */ (fakeHost(win)));
  first.sync('in-call');
  second.sync('in-call');
  first.sync('ended');
  assert.equal(win.wouldAsk(), true, "the second call's guard went with the first call's end");
  second.sync('ended');
  assert.equal(win.listeners.size, 0);
});
