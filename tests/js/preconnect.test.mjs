// The microphone's pre-connect buffer (issue 13, "The browser"): it records from the moment the
// microphone and livekit-client are both there, before the Room connects, and the track is published
// with it, so the agent hears what was said before it joined. A browser without a working
// MediaRecorder gets a call without a buffer, never an error.
import test from 'node:test';
import assert from 'node:assert/strict';
import { CallSession } from '../../static/js/call-session.js';
import { SEAM, nextPause } from '../../static/js/preconnect-buffer.js';
import { RoomEvent, createResponse, deferred, fakeFetch, fakeLivekit, fakeMic, fakePermissions, record, until } from './fakes.mjs';

/** A backend whose create answers only when `gate` resolves. */
function heldCreate(gate) {
  const requests = [];
  const fetch = async (url, init = {}) => {
    requests.push({ url, init });
    if (url.endsWith('/api/calls')) await gate.promise;
    return new Response(JSON.stringify(url.endsWith('/api/calls') ? createResponse() : { status: 'completed' }), {
      status: url.endsWith('/api/calls') ? 201 : 200, headers: { 'Content-Type': 'application/json' },
    });
  };
  return { fetch, requests };
}

/** A voice call started with the fakes, the microphone granted. @param {object} [options] fakeLivekit's */
async function startedCall(options) {
  const lk = fakeLivekit(options);
  const api = fakeFetch(() => [201, createResponse()]);
  const session = new CallSession({ loadLivekit: async () => lk, fetch: api.fetch, mediaDevices: fakeMic(), permissions: fakePermissions('granted') });
  assert.equal(await session.start(), true);
  return { lk, session };
}

for (const permission of ['granted', 'prompt']) {
  test(`permission "${permission}": the buffer records before the create answers and before connect; published with it`, async () => {
    const lk = fakeLivekit();
    const gate = deferred();
    const api = heldCreate(gate);
    const session = new CallSession({ loadLivekit: async () => lk, fetch: api.fetch, mediaDevices: fakeMic(), permissions: fakePermissions(permission) });
    const events = record(session, ['error']);
    const started = session.start();
    await until(() => lk.log.includes('buffer started'), 'the buffer started while the create is pending');
    assert.equal(lk.rooms.length, 0, 'no Room yet: the create has not answered');
    gate.resolve();
    assert.equal(await started, true);
    assert.deepEqual(lk.log, ['buffer started', 'connect', 'publish']);
    assert.equal(lk.published.length, 1);
    assert.equal(lk.published[0].withBuffer, true, 'published while the buffer records (TF_PRECONNECT_BUFFER)');
    assert.equal(lk.published[0].opts.source, 'microphone');
    const recorder = lk.published[0].track.recorder;
    await session.end();
    assert.equal(recorder.stopped, true, 'hanging up stops the recording');
    assert.deepEqual(events, []);
  });
}

test('livekit-client arriving after the create still starts the buffer before connect', async () => {
  const lk = fakeLivekit();
  const load = deferred();
  const api = fakeFetch(() => [201, createResponse()]);
  const session = new CallSession({ loadLivekit: () => load.promise, fetch: api.fetch, mediaDevices: fakeMic(), permissions: fakePermissions('granted') });
  const started = session.start();
  await until(() => api.requests.length === 1, 'the create sent');
  load.resolve(lk);
  assert.equal(await started, true);
  assert.deepEqual(lk.log, ['buffer started', 'connect', 'publish']);
  assert.equal(lk.published[0].withBuffer, true);
  await session.end();
});

test('an agent subscribing while the track is still being published ends the recording (so it is sent)', async () => {
  // livekit-client 2.23 stops the recording on the subscription only if it comes after publishTrack
  // returned; an agent already in the room subscribes sooner, and the recording ran on for 10 s.
  const { lk, session } = await startedCall({ subscribeDuringPublish: true });
  const { track } = lk.published[0];
  assert.equal(lk.published[0].withBuffer, true);
  await until(() => !track.hasPreConnectBuffer, 'the recording stopped after the agent subscribed');
  await session.end();
});

test('a subscription to another track leaves the recording running', async () => {
  const { lk, session } = await startedCall();
  const room = lk.rooms[0];
  room.emit(RoomEvent.LocalTrackSubscribed, { track: {}, trackSid: 'TR_other' });
  assert.equal(lk.published[0].track.hasPreConnectBuffer, true);
  room.emit(RoomEvent.LocalTrackSubscribed, { track: lk.published[0].track, trackSid: 'TR_mic' });
  await until(() => !lk.published[0].track.hasPreConnectBuffer, 'the recording stopped after our subscription');
  await session.end();
});

for (const mediaRecorder of ['missing', 'throws']) {
  test(`MediaRecorder ${mediaRecorder}: the call goes on without a buffer and without an error`, async () => {
    const lk = fakeLivekit({ mediaRecorder });
    const api = fakeFetch(() => [201, createResponse()]);
    const mic = fakeMic();
    const session = new CallSession({ loadLivekit: async () => lk, fetch: api.fetch, mediaDevices: mic, permissions: fakePermissions('granted') });
    const events = record(session, ['state', 'error']);
    assert.equal(await session.start(), true);
    assert.equal(session.state, 'in-call');
    assert.deepEqual(lk.log, ['connect', 'publish']);
    assert.equal(lk.published.length, 1, 'the microphone is still published');
    assert.equal(lk.published[0].withBuffer, false);
    assert.equal(events.filter((e) => e.type === 'error').length, 0);
    await session.end();
    assert.equal(mic.track.stopped, true);
  });
}

test('text mode: no microphone, no buffer', async () => {
  const lk = fakeLivekit();
  const api = fakeFetch(() => [201, createResponse({ mode: 'text' })]);
  const mic = fakeMic();
  const session = new CallSession({ loadLivekit: async () => lk, fetch: api.fetch, mediaDevices: mic, mode: 'text' });
  assert.equal(await session.start(), true);
  assert.equal(mic.calls.length, 0);
  assert.deepEqual(lk.log, ['connect']);
  assert.equal(lk.published.length, 0);
  assert.equal(lk.rooms[0].connectArgs.opts.autoSubscribe, true, 'nothing to hold the agent for');
  await session.end();
});

test('muting before the call is connected still publishes a muted track with the buffer', async () => {
  const lk = fakeLivekit();
  const gate = deferred();
  const api = heldCreate(gate);
  const session = new CallSession({ loadLivekit: async () => lk, fetch: api.fetch, mediaDevices: fakeMic(), permissions: fakePermissions('granted') });
  const started = session.start();
  await until(() => lk.log.includes('buffer started'), 'the buffer started');
  await session.setMuted(true);
  gate.resolve();
  assert.equal(await started, true);
  assert.equal(lk.published[0].track.muted, true);
  assert.equal(lk.published[0].withBuffer, true);
  await session.end();
});

test('stopping the buffer asks the recorder for its pending chunk first, once, however often it is called', async () => {
  const { bufferedTrackClass } = await import('../../static/js/preconnect-buffer.js');
  const calls = [];
  // livekit-client 2.23's track as far as the buffer goes: an internal MediaRecorder, a plain stop.
  class LocalAudioTrack {
    startPreConnectBuffer() {
      const recorder = new EventTarget();
      recorder.state = 'recording';
      recorder.requestData = () => {
        calls.push('requestData');
        setTimeout(() => recorder.dispatchEvent(Object.assign(new Event('dataavailable'), { data: new Blob(['x']) })), 5);
      };
      this.localTrackRecorder = recorder;
    }
    get hasPreConnectBuffer() { return Boolean(this.localTrackRecorder); }
    stopPreConnectBuffer() { calls.push('stop'); this.localTrackRecorder = undefined; }
  }
  const Track = bufferedTrackClass({ LocalAudioTrack });
  const track = new Track();
  track.startPreConnectBuffer();
  track.stopPreConnectBuffer(); // our listener for the agent's subscription
  track.stopPreConnectBuffer(); // livekit-client's own listener for it, right after
  await until(() => calls.length > 0, 'the recording ends (at the next pause: a silent mic, after SEAM.minMs)');
  assert.deepEqual(calls, ['requestData'], 'nothing stops before the pending chunk was read');
  await until(() => calls.includes('stop'), 'stopped after the chunk');
  assert.deepEqual(calls, ['requestData', 'stop']);

  calls.length = 0; // hanging up: no chunk is wanted, it stops at once
  track.startPreConnectBuffer();
  track.dropPreConnectBuffer();
  assert.deepEqual(calls, ['stop']);
});

test('the live audio is held while the recording runs and resumes where it ends, at the visitor\'s pause', async () => {
  // The agent hears the recording, then its live stream from the moment its side of the subscription
  // is ready; held audio makes that stream silent until the recording ends, and ending at a pause puts
  // that silence between words, not inside one (preconnect-buffer.js, "the seam").
  let level = 0.5; // the visitor is talking
  const { lk, session } = await startedCall();
  const { track } = lk.published[0];
  track.levelNow = () => level;
  assert.deepEqual(track.upstream, ['paused'], 'published, then held: the recording carries the speech');
  lk.rooms[0].emit(RoomEvent.LocalTrackSubscribed, { track, trackSid: 'TR_mic' });
  await new Promise((r) => setTimeout(r, SEAM.minMs + 2 * SEAM.quietMs));
  assert.equal(track.hasPreConnectBuffer, true, 'still talking: the recording goes on');
  assert.deepEqual(track.upstream, ['paused']);
  level = 0.01; // a pause
  await until(() => !track.hasPreConnectBuffer, 'the recording ends in the pause');
  assert.deepEqual(track.upstream, ['paused', 'resumed'], 'and the live audio goes on from there');
  await session.end();
});

test('held from the moment the track has a sender; a recording that ends before a slow publish returns gives the microphone back', async () => {
  // livekit-client sets the sender before the negotiation that lets it send: held from there. Here the
  // agent subscribed during the publish and the visitor was quiet: the recording ends at the seam's
  // minimum while the publish is still negotiating, before livekit-client's own hold could begin.
  const publishGate = deferred();
  const lk = fakeLivekit({ subscribeDuringPublish: true, publishGate });
  const api = fakeFetch(() => [201, createResponse()]);
  const session = new CallSession({ loadLivekit: async () => lk, fetch: api.fetch, mediaDevices: fakeMic(), permissions: fakePermissions('granted') });
  const started = session.start();
  await until(() => lk.published.length === 1, 'published');
  const { track } = lk.published[0];
  assert.equal(track.sender.track, null, 'held from the sender');
  await until(() => !track.hasPreConnectBuffer, 'the recording ends at the seam', { attempts: 2000 });
  await until(() => track.sender.track === track.mediaStreamTrack, 'the live audio goes on');
  publishGate.resolve();
  assert.equal(await started, true);
  assert.deepEqual(track.upstream, [], 'livekit-client never held it: too late once published');
  assert.equal(track.sender.track, track.mediaStreamTrack);
  await session.end();
});

/** A remote audio publication as livekit-client makes it with autoSubscribe off: not wanted until asked. */
function agentAudio() {
  return { kind: 'audio', isDesired: false, setSubscribed(v) { this.isDesired = v; this.askedAt = performance.now(); } };
}

test('a visitor who spoke before the agent joined: its audio is taken only where the recording ends, at their pause', async () => {
  // The agent greets as soon as it hears the page subscribe; over a talking visitor, the browser's
  // echo canceller damps their words (preconnect-buffer.js, item 4).
  let level = 0.5; // talking
  const { lk, session } = await startedCall();
  const { track } = lk.published[0];
  track.levelNow = () => level;
  await new Promise((r) => setTimeout(r, 3 * SEAM.pollMs)); // the visitor's words reach the recording
  const room = lk.rooms[0];
  const greeting = agentAudio();
  room.emit(RoomEvent.TrackPublished, greeting, room.agent);
  room.emit(RoomEvent.LocalTrackSubscribed, { track, trackSid: 'TR_mic' });
  await new Promise((r) => setTimeout(r, SEAM.minMs + 2 * SEAM.quietMs));
  assert.equal(greeting.isDesired, false, 'still talking: the agent is not taken yet');
  level = 0.01; // a pause
  await until(() => greeting.isDesired, 'taken once the recording ends');
  assert.equal(track.hasPreConnectBuffer, false, 'the recording had ended first');
  room.emit(RoomEvent.TrackPublished, agentAudio(), room.agent); // later tracks: at once
  await session.end();
});

test('a quiet visitor: the agent\'s audio is taken at once; video never', async () => {
  const { lk, session } = await startedCall();
  const { track } = lk.published[0];
  track.levelNow = () => 0.01;
  await new Promise((r) => setTimeout(r, 3 * SEAM.pollMs));
  const room = lk.rooms[0];
  const greeting = agentAudio();
  const video = { ...agentAudio(), kind: 'video' };
  room.emit(RoomEvent.TrackPublished, greeting, room.agent);
  room.emit(RoomEvent.TrackPublished, video, room.agent);
  await until(() => greeting.isDesired, 'taken while the recording still runs');
  assert.equal(track.hasPreConnectBuffer, true);
  assert.equal(video.isDesired, false, 'a voice call takes no video');
  await session.end();
});

test('with a recording the page takes the agent\'s audio itself; without one the Room does, and video is given back', async () => {
  // Taking it ourselves costs a signalling round trip; only a recording can make the agent wait.
  const recording = await startedCall();
  assert.equal(recording.lk.rooms[0].connectArgs.opts.autoSubscribe, false);
  await recording.session.end();

  const { lk, session } = await startedCall({ mediaRecorder: 'missing' });
  const room = lk.rooms[0];
  assert.equal(room.connectArgs.opts.autoSubscribe, true);
  // As livekit-client makes publications with autoSubscribe on: wanted from the start.
  const greeting = { ...agentAudio(), isDesired: true };
  const video = { ...agentAudio(), kind: 'video', isDesired: true };
  room.emit(RoomEvent.TrackPublished, greeting, room.agent);
  room.emit(RoomEvent.TrackPublished, video, room.agent);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(greeting.askedAt, undefined, 'the audio is not asked for again');
  assert.equal(greeting.isDesired, true);
  assert.equal(video.isDesired, false, 'a voice call takes no video');
  await session.end();
});

test('hanging up while the live audio is held drops the recording and sends nothing more', async () => {
  const { lk, session } = await startedCall();
  const { track } = lk.published[0];
  assert.deepEqual(track.upstream, ['paused']);
  await session.end();
  assert.equal(track.recorder, undefined, 'nothing more is recorded');
  assert.deepEqual(track.upstream, ['paused'], 'the track stops held');
  assert.equal(track.stopped, true);
});

test('nextPause: at once in silence (after minMs), after quietMs of quiet, at maxMs for a visitor who never pauses', async () => {
  const seam = { ...SEAM, minMs: 30, maxMs: 200, quietMs: 40, pollMs: 5 };
  const took = async (level) => {
    const started = performance.now();
    await nextPause(level, seam);
    return performance.now() - started;
  };
  const silent = await took(() => 0);
  assert.ok(silent >= 30 && silent < 150, `silent: ${silent} ms`);
  const talking = await took(() => 0.6);
  assert.ok(talking >= 200, `never quiet: ${talking} ms`);
  let t0 = performance.now();
  const pausesAfter100 = await took(() => (performance.now() - t0 < 100 ? 0.6 : 0.02));
  assert.ok(pausesAfter100 >= 140 && pausesAfter100 < 200, `a pause from 100 ms: ${pausesAfter100} ms`);
  t0 = performance.now();
  const blip = await took(() => (performance.now() - t0 < 20 ? 0.01 : 0.6)); // quiet too short to count
  assert.ok(blip >= 200, `a dip shorter than quietMs is no pause: ${blip} ms`);
});

test('nextPause: a stall between two quiet readings is no pause (the visitor may have spoken in it)', async () => {
  // A busy page (a slow phone, a CI box) runs the 20 ms poll late. Two quiet readings 300 ms apart
  // say nothing of what was said between them: the recording ended there mid-word, and the agent
  // heard the question cut in two (a CI run: "what are your opening hours on saturday", then "the").
  const seam = { ...SEAM, minMs: 0, maxMs: 10_000, pollMs: 0 };
  const times = [0, 0, 300, 320, 340, 360, 380, 400, 420, 440, 460, 480, 500]; // start, then each poll
  let read = 0;
  const now = () => times[Math.min(read++, times.length - 1)];
  await nextPause(() => 0, seam, now);
  const resolvedAt = times[read - 1];
  // Quiet is known from the first reading after the stall (300): the pause is quietMs after it.
  assert.ok(resolvedAt >= 300 + seam.quietMs, `resolved at ${resolvedAt} ms`);
});
