// The livekit-client Room of one call: created with the options a voice call needs, its events turned
// into calls of the session's hooks, the agent's transcription streams read, connected and published.
// A new Room per call, so the text-stream handler is registered exactly once per Room: livekit-client
// throws on a second handler for a topic (tests/js/call-session.test.mjs: "a second call uses a new Room").

import { isAgentParticipant } from './agent-presence.js';
import { CallError, STEPS, micErrorCode } from './errors.js';
import { MIC_CONSTRAINTS } from './microphone.js';
import { readTranscriptionStream } from './transcript.js';

/**
 * @typedef {object} CallRoomHooks
 * @property {() => void} onReconnecting        the connection broke, livekit retries
 * @property {() => void} onReconnected
 * @property {(reason: number|undefined) => void} onDisconnected  livekit's DisconnectReason
 * @property {(track: any) => void} onAgentTrack  an agent audio track to play (again after a reconnect)
 * @property {(track: any) => void} onTrackGone
 * @property {(blocked: boolean) => void} onAudioBlocked
 * @property {() => void} onDevicesChanged
 * @property {(code: string, message: string) => void} onDeviceError
 * @property {(update: import('./transcript.js').StreamUpdate) => void} onTranscript
 * @property {() => Promise<void>} agentMayTalk  resolves when the agent's audio may be taken (never rejects)
 */

/**
 * A Room for this call, wired to `hooks` and warming its connection up at once.
 * @param {any} lk the livekit-client module
 * @param {{livekit_url: string, token: string}} created the create response
 * @param {{audioOutputDeviceId?: string, hooks: CallRoomHooks}} options
 */
export function createCallRoom(lk, created, { audioOutputDeviceId, hooks }) {
  const room = new lk.Room({
    audioCaptureDefaults: { ...MIC_CONSTRAINTS },
    // Play agent audio through media elements, not Web Audio, so echo cancellation applies (audio-level.js).
    webAudioMix: false,
    audioOutput: audioOutputDeviceId ? { deviceId: audioOutputDeviceId } : undefined,
  });
  const E = lk.RoomEvent;
  room
    .on(E.Reconnected, () => hooks.onReconnected())
    .on(E.TrackSubscribed, (track, _pub, p) => {
      // Re-attach on every subscription: livekit-client's full reconnect subscribes the agent's track again.
      if (track.kind === lk.Track.Kind.Audio && isAgentParticipant(p, lk)) hooks.onAgentTrack(track);
    })
    .on(E.TrackUnsubscribed, (track) => hooks.onTrackGone(track))
    .on(E.AudioPlaybackStatusChanged, () => hooks.onAudioBlocked(!room.canPlaybackAudio))
    .on(E.Reconnecting, () => hooks.onReconnecting())
    .on(E.SignalReconnecting, () => hooks.onReconnecting())
    .on(E.Disconnected, (reason) => hooks.onDisconnected(reason))
    .on(E.MediaDevicesChanged, () => hooks.onDevicesChanged())
    .on(E.MediaDevicesError, (err) => hooks.onDeviceError(micErrorCode(err, lk.MediaDeviceFailure?.getFailure?.(err)), String(err?.message ?? err)));
  takeAudioWhenAllowed(room, lk, hooks.agentMayTalk);
  room.registerTextStreamHandler('lk.transcription', (reader, info) => {
    // The sender is the transcribed participant: us for our speech, the agent for its own (LiveKit Agents).
    const role = info?.identity && info.identity === room.localParticipant?.identity ? 'user' : 'agent';
    readTranscriptionStream(reader, role, hooks.onTranscript).catch(() => { /* a broken stream only loses its own line */ });
  });
  room.prepareConnection(created.livekit_url, created.token).catch(() => { /* connect() reports it */ });
  return room;
}

/**
 * The agent's audio, taken when `mayTake` resolves; no video (a voice call plays none). A LiveKit
 * Agents agent's audio output waits for its track's first subscription before it sends a frame
 * (livekit-agents 1.8 `room_io/_output.py`, `capture_frame` awaits `_subscribed_fut`), so holding the
 * subscription back delays its greeting instead of cutting it (preconnect-buffer.js, item 4). With
 * autoSubscribe on (connectCallRoom: nothing to hold) the server has taken every track already; a
 * video track is given back. Taken again after a full reconnect, which makes every publication anew.
 * @param {any} room @param {any} lk @param {() => Promise<void>} mayTake
 */
function takeAudioWhenAllowed(room, lk, mayTake) {
  const E = lk.RoomEvent;
  const asked = new WeakSet();
  const take = (/** @type {any} */ pub) => {
    if (!pub || asked.has(pub)) return;
    const audio = pub.kind === lk.Track.Kind.Audio;
    if (audio === pub.isDesired) return; // audio already taken, or video not
    asked.add(pub);
    const subscribe = (/** @type {boolean} */ wanted) => {
      try {
        pub.setSubscribed(wanted);
      } catch { /* the call ended meanwhile */ }
    };
    if (audio) mayTake().then(() => subscribe(true));
    else subscribe(false);
  };
  const takeFrom = (/** @type {any} */ p) => { for (const pub of p?.trackPublications?.values?.() ?? []) take(pub); };
  const takeAll = () => { for (const p of room.remoteParticipants.values()) takeFrom(p); };
  room
    .on(E.TrackPublished, (pub) => take(pub))
    .on(E.ParticipantConnected, (p) => takeFrom(p))
    .on(E.Connected, takeAll)
    .on(E.Reconnected, takeAll);
}

/**
 * `room.connect`'s options for a created call: whether the Room subscribes itself, and the server's RTC
 * configuration when the create names one (the sandbox: no ICE servers).
 * @param {{rtc_config?: RTCConfiguration}} created @param {boolean} autoSubscribe
 */
export function connectOptions(created, autoSubscribe) {
  return { autoSubscribe, ...(created.rtc_config ? { rtcConfig: created.rtc_config } : {}) };
}

/**
 * Join the call's room and publish the microphone (if one is open); either failing is livekit_unreachable.
 * Taking the agent's audio ourselves costs a signalling round trip before its first frame (the request
 * goes to the server and back; docs/performance.md), so the Room subscribes itself (autoSubscribe)
 * unless the page may have to hold the agent: only a pre-connect recording can make it wait.
 * @param {any} room @param {any} lk
 * @param {{livekit_url: string, token: string, rtc_config?: RTCConfiguration}} created
 * @param {{publish: (room: any, lk: any) => Promise<void>, mayHoldAgent: () => boolean}} mic
 * @param {() => boolean} cancelled the call was cancelled meanwhile: stop here
 */
export async function connectCallRoom(room, lk, created, mic, cancelled) {
  try {
    await room.connect(created.livekit_url, created.token, connectOptions(created, !mic.mayHoldAgent()));
    if (!cancelled()) await mic.publish(room, lk);
  } catch (err) {
    throw new CallError('livekit_unreachable', STEPS.connecting, { cause: err });
  }
  if (!cancelled()) announceWithoutMicrophone(room);
}

/** The name of the data track a visitor without a microphone publishes; nothing is sent on it. */
export const PRESENCE_TRACK = 'presence';

/**
 * Make a visitor who publishes no microphone (a text call) known to the agent at once. livekit-server
 * tells the room about a participant that publishes nothing only in its batch of updates every 3 s
 * (livekit-server v1.13.5, pkg/rtc/room.go: `subscriberUpdateInterval`, `PushAndDequeueUpdates`), and
 * a LiveKit Agents agent greets, and reads typed text, only once it knows the visitor: a text visitor
 * who joined after the agent waited for that batch (greeted 3.5-3.9 s after the click at 300 ms round
 * trip, tests/e2e/test_networks.py). A publisher is announced at once, and a data track makes one with
 * the `canPublishData` grant that typed text needs anyway. A server without data tracks refuses it and
 * the call goes on as before.
 * @param {any} room
 */
export function announceWithoutMicrophone(room) {
  const me = room.localParticipant;
  if (me.trackPublications.size > 0) return;
  // Never a reason to fail the call: a refusal (or no publishDataTrack at all) is only a later greeting.
  Promise.resolve()
    .then(() => me.publishDataTrack({ name: PRESENCE_TRACK }))
    .catch(() => { /* announced on the batch instead */ });
}
