// The maximum-length timers of one call (static/js/call-clock.js).
import test from 'node:test';
import assert from 'node:assert/strict';
import { CallClock } from '../../static/js/call-clock.js';

test('a limit too long for a timer is no limit, not an end at once', async () => {
  // setTimeout takes at most 2^31 - 1 ms (about 24.8 days) and fires at once for more: a page owner's
  // max-call-seconds="3600000" (milliseconds meant) ended every call as soon as the agent answered.
  const clock = new CallClock(() => Date.now());
  const fired = [];
  clock.armMaxLength(3_600_000, () => fired.push('warning'), () => fired.push('end'));
  await new Promise((r) => setTimeout(r, 30));
  clock.stop();
  assert.deepEqual(fired, []);
});

test('a short limit warns, then ends the call', async () => {
  const clock = new CallClock(() => Date.now());
  const fired = [];
  clock.armMaxLength(0.02, (left) => fired.push(['warning', left]), () => fired.push(['end']));
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(fired, [['warning', 0.02], ['end']]);
});
