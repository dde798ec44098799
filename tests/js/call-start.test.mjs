// The start sequence when a step fails after `POST /api/calls` was sent (static/js/call-start.js). With
// the microphone already allowed the create goes out with it; livekit-client may fail to arrive on any
// path. A call itellico made anyway must be hung up: nobody else knows it (no call id on the page), its
// agent waits alone in the room until its own timeout (a billed call), and each Try again made one more.
import test from 'node:test';
import assert from 'node:assert/strict';
import { CallSession } from '../../static/js/call-session.js';
import { createResponse, fakeFetch, fakeLivekit, fakeMic, fakePermissions, record, until } from './fakes.mjs';

const creates = (api) => api.requests.filter((r) => r.url.endsWith('/api/calls'));

for (const fail of ['NotFoundError', 'NotReadableError', 'NotAllowedError']) {
  test(`microphone allowed, then ${fail} after the create went out: the call it made is hung up`, async () => {
    const api = fakeFetch(() => [201, createResponse({ token: 'orphan-token' })]);
    const lk = fakeLivekit();
    const mic = fakeMic({ fail, hold: true });
    const session = new CallSession({ loadLivekit: async () => lk, fetch: api.fetch, mediaDevices: mic, permissions: fakePermissions('granted') });
    const events = record(session, ['error', 'ended']);
    const started = session.start();
    await until(() => creates(api).length === 1, 'the create, sent with the microphone');
    mic.release();
    assert.equal(await started, false);
    assert.equal(events[0].type, 'error');
    await until(() => lk.rooms.some((r) => r.connectArgs?.token === 'orphan-token'), 'the made call to be joined to hang it up');
    const room = lk.rooms.find((r) => r.connectArgs?.token === 'orphan-token');
    assert.equal(room.connectArgs.opts.autoSubscribe, false);
    room.agentJoins?.();
    await until(() => room.disconnected, 'the hang-up to leave');
    assert.deepEqual(lk.published, [], 'nothing published');
  });
}

test('livekit-client fails after the create went out: it is asked once more to hang the call up', async () => {
  const api = fakeFetch(() => [201, createResponse({ token: 'no-client-token' })]);
  const lk = fakeLivekit();
  let loads = 0;
  const loadLivekit = async () => {
    loads += 1;
    if (loads > 1) return lk;
    await until(() => creates(api).length === 1, 'the create, sent while the module downloads');
    throw new Error('net::ERR_NETWORK_CHANGED');
  };
  const session = new CallSession({ loadLivekit, fetch: api.fetch, mediaDevices: fakeMic(), permissions: fakePermissions('granted') });
  const events = record(session, ['error', 'ended']);
  assert.equal(await session.start(), false);
  assert.equal(events[0].code, 'client_load_failed');
  assert.equal(creates(api).length, 1);
  await until(() => lk.rooms.some((r) => r.connectArgs?.token === 'no-client-token'), 'the made call to be joined to hang it up');
});

test('a create refused while the microphone failed: nothing to hang up', async () => {
  const api = fakeFetch(() => [429, { error: { code: 'rate_limited', message: 'slow down' } }]);
  const lk = fakeLivekit();
  const session = new CallSession({ loadLivekit: async () => lk, fetch: api.fetch, mediaDevices: fakeMic({ fail: 'NotFoundError' }), permissions: fakePermissions('granted') });
  assert.equal(await session.start(), false);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(lk.rooms.length, 0);
});

test('livekit-client already failed when the prompt is answered: no create is sent', async () => {
  const api = fakeFetch(() => [201, createResponse()]);
  const mic = fakeMic({ hold: true });
  const session = new CallSession({
    loadLivekit: async () => { throw new Error('net::ERR_FAILED'); }, fetch: api.fetch, mediaDevices: mic, permissions: fakePermissions('prompt'),
  });
  const events = record(session, ['error', 'ended']);
  const started = session.start();
  await new Promise((r) => setTimeout(r, 20)); // the download failed while the prompt is open
  mic.release();
  assert.equal(await started, false);
  assert.equal(events[0].code, 'client_load_failed');
  assert.equal(creates(api).length, 0, 'no call made that nothing could join');
});
