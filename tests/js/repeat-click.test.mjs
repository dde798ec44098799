import assert from 'node:assert/strict';
import { test } from 'node:test';

import { REPEAT_CLICK_MS, RepeatClickGuard, isHeldKey } from '../../static/js/repeat-click.js';

const tap = (timeStamp, detail = 1) => ({ timeStamp, detail, pointerType: 'touch' });
const mouse = (timeStamp, detail = 1) => ({ timeStamp, detail, pointerType: 'mouse' });
const click = (timeStamp, detail = 1) => ({ timeStamp, detail }); // no pointerType: an older browser

test('the second click of a double-click is a repeat, whatever the state', () => {
  const guard = new RepeatClickGuard();
  assert.equal(guard.isRepeat(click(0, 2), false), true);
  assert.equal(guard.isRepeat(click(0, 3), true), true);
});

for (const [kind, make] of [['tap', tap], ['click without pointerType', click]]) {
  test(`a quick ${kind} after the one that started the call is a repeat only while it starts`, () => {
    const guard = new RepeatClickGuard();
    guard.acted(make(1000), true);
    assert.equal(guard.isRepeat(make(1000 + REPEAT_CLICK_MS - 1), true), true);
    assert.equal(guard.isRepeat(make(1000 + REPEAT_CLICK_MS), true), false, 'a deliberate Cancel later acts');
    assert.equal(guard.isRepeat(make(1100), false), false, 'once the call is up, End acts at once');
  });
}

test('a single mouse click always acts: a mouse counts its double-clicks', () => {
  const guard = new RepeatClickGuard();
  guard.acted(mouse(1000), true);
  assert.equal(guard.isRepeat(mouse(1050), true), false);
  assert.equal(guard.isRepeat(mouse(1050, 2), true), true);
});

test('keys and click() from code always act, and do not arm the guard', () => {
  const guard = new RepeatClickGuard();
  guard.acted(click(1000, 0), true);
  assert.equal(guard.isRepeat(click(1100), true), false);
  guard.acted(click(1000), true);
  assert.equal(guard.isRepeat(click(1100, 0), true), false);
});

test('a click that only asked for consent does not arm it: a Decline and a new click ask again', () => {
  const guard = new RepeatClickGuard();
  guard.acted(click(1000), true);
  guard.acted(click(1200), false);
  assert.equal(guard.isRepeat(click(1300), true), false);
});

test('a held Enter or Space acts once: its repeated keydowns are not presses', () => {
  assert.equal(isHeldKey({ repeat: false, key: 'Enter' }), false);
  assert.equal(isHeldKey({ repeat: true, key: 'Enter' }), true);
  assert.equal(isHeldKey({ repeat: true, key: ' ' }), true);
  assert.equal(isHeldKey({ repeat: true, key: 'Tab' }), false);
});
