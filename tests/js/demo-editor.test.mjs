import test from 'node:test';
import assert from 'node:assert/strict';
import { affectsPreview, debounce, rowLabel } from '../../static/js/pages/demo-editor-logic.js';

function fakeTimers() {
  let now = 0;
  let next = 1;
  const pending = new Map();
  return {
    setTimeout: (cb, ms) => { const id = next++; pending.set(id, { at: now + ms, cb }); return id; },
    clearTimeout: (id) => { pending.delete(id); },
    advance(ms) {
      now += ms;
      for (const [id, { at, cb }] of [...pending]) if (at <= now) { pending.delete(id); cb(); }
    },
  };
}

test('debounce calls once, after the last call of a burst, with its arguments', () => {
  const timers = fakeTimers();
  const calls = [];
  const later = debounce((value) => calls.push(value), 400, timers);
  later('a'); timers.advance(300);
  later('ab'); timers.advance(300);
  later('abc');
  assert.deepEqual(calls, []);
  timers.advance(399);
  assert.deepEqual(calls, []);
  timers.advance(1);
  assert.deepEqual(calls, ['abc']);
  timers.advance(5000);
  assert.deepEqual(calls, ['abc']);
});

test('cancel drops the pending call', () => {
  const timers = fakeTimers();
  const calls = [];
  const later = debounce(() => calls.push(1), 400, timers);
  later(); later.cancel(); timers.advance(1000);
  assert.deepEqual(calls, []);
  later(); timers.advance(400);
  assert.deepEqual(calls, [1]);
});

test('fields redraw the preview; the CSRF token and buttons do not', () => {
  assert.equal(affectsPreview({ name: 'title', type: 'text' }), true);
  assert.equal(affectsPreview({ name: 'logo_file', type: 'file' }), true);
  assert.equal(affectsPreview({ name: 'brand.theme', type: 'select-one' }), true);
  assert.equal(affectsPreview({ name: 'csrf', type: 'hidden' }), false);
  assert.equal(affectsPreview({ name: 'action', type: 'submit' }), false);
  assert.equal(affectsPreview({ name: '', type: 'text' }), false);
  assert.equal(affectsPreview(null), false);
});

test('a cloned row is numbered after the last one', () => {
  assert.equal(rowLabel('Name 3', 4), 'Name 4');
  assert.equal(rowLabel('Max length', 1), 'Max length 1');
});
