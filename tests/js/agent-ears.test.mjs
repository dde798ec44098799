// AgentEars: typed text waits for a sign that the agent's room lists us, at most a bound.
import test from 'node:test';
import assert from 'node:assert/strict';
import { AgentEars } from '../../static/js/agent-ears.js';
import { RoomEvent, fakeLivekit } from './fakes.mjs';

const settled = async (promise) => Promise.race([promise.then(() => true), new Promise((r) => setTimeout(() => r(false), 15))]);

test('ready waits for the agent to subscribe to one of our tracks', async () => {
  const lk = fakeLivekit();
  const room = new lk.Room({});
  const ears = new AgentEars();
  ears.watch(room, lk);
  const ready = ears.ready(10_000);
  assert.equal(await settled(ready), false);
  room.emit(RoomEvent.LocalTrackSubscribed, { trackSid: 'TR_mic' });
  assert.equal(await settled(ready), true);
  assert.equal(await settled(ears.ready(10_000)), true); // and stays so
});

test('ready goes at the bound without a sign, and at once after one', async () => {
  const ears = new AgentEars();
  const started = Date.now();
  await ears.ready(40);
  assert.ok(Date.now() - started >= 35);
  ears.heard();
  assert.equal(await settled(ears.ready(10_000)), true);
});
