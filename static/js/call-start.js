// The start sequence of one call, from the click to the agent in the room: the microphone, the
// livekit-client download and `POST /api/calls` in the order that keeps a refusal free and a granted
// start fast, the microphone's pre-connect buffer, the connection warm-up, connect and publish (with
// the buffer), then waiting for the agent. Apart from CallSession because the ordering rules are the
// subtle part; the session keeps state and events.

import { connectCallRoom } from './call-room.js';
import { CallError, STEPS } from './errors.js';
import { pageAllows } from './page-policy.js';

export const DEFAULT_AGENT_JOIN_TIMEOUT_MS = 15_000;

/**
 * One call being set up. Every await of the sequence checks `done`, so a cancelled start stops quietly.
 * The create request is never aborted: a call it makes anyway (itellico got the request) must be known
 * to be hung up (hang-up.js).
 */
export class CallAttempt {
  done = false;

  /** end() or a failure: stale async work sees `done`. */
  cancel() {
    this.done = true;
  }
}

/**
 * The step a failure in this state happened in (the `error` event's `step`).
 * @param {import('./call-events.js').CallState} state
 */
export function stepForState(state) {
  /** @type {Record<string, string>} */
  const steps = { 'requesting-mic': STEPS.microphone, connecting: STEPS.connecting, 'waiting-for-agent': STEPS.waitingForAgent };
  return steps[state] ?? STEPS.inCall;
}

/**
 * @typedef {object} StartSteps
 * @property {boolean} voice
 * @property {boolean} webrtc  the browser has RTCPeerConnection (some extensions and policies remove it)
 * @property {() => Promise<any>} loadLivekit
 * @property {import('./microphone.js').Microphone} mic
 * @property {import('./agent-presence.js').AgentPresence} agent
 * @property {() => Promise<any>} createCall  `POST /api/calls` (api-client.js result)
 * @property {(lk: any, created: any) => any} ensureRoom  the call's one Room (the warm-up may make it first)
 * @property {() => void} onMicOpen      the microphone is live
 * @property {(created: any) => void} onCreated  the create response arrived (and everything else is ready)
 * @property {() => void} onConnected    connected and published; the agent is awaited next
 * @property {(lk: any, created: any) => void} hangUp  end a call cancelled before its agent answered
 */

/**
 * Run the sequence up to the agent being in the room. Throws a CallError when a step fails.
 * @param {CallAttempt} attempt @param {StartSteps} steps
 * @returns {Promise<any>} the connected Room with the agent in it, or null when the attempt was cancelled
 */
export async function runStartSequence(attempt, steps) {
  const { voice, mic, agent } = steps;
  // Without WebRTC no call (voice or typed) can connect: say so before the microphone prompt and
  // before anything is created upstream, not as an unreachable server after both.
  if (!steps.webrtc) throw new CallError('webrtc_unavailable', STEPS.connecting);
  // A page whose Permissions-Policy forbids the microphone (page-policy.js): said before the prompt
  // and before the create, which the fast start below sent first; asking only got the browser's
  // refusal, told to the visitor as their own denial (mic_denied: "set Microphone to Allow, then Try
  // again", which no setting of theirs changes). Typing still works. The owner's line is loaded only now.
  if (voice && !pageAllows('microphone')) {
    import('./policy-hint.js').catch(() => { /* a hint's download never stops anything */ });
    throw new CallError('mic_blocked_by_page', STEPS.microphone);
  }
  let lkFailed = false;
  const lkPromise = steps.loadLivekit().catch((err) => {
    lkFailed = true;
    throw new CallError('client_load_failed', STEPS.loadingClient, { cause: err });
  });
  lkPromise.catch(() => { /* awaited below; a failure while the prompt is open is reported there */ });
  const openMicrophone = async () => {
    if (await mic.open(() => attempt.done)) steps.onMicOpen();
  };
  let micPromise = Promise.resolve();
  if (voice && (await mic.granted())) {
    // Fast start: the microphone is already allowed, so it, the livekit-client download and the call
    // creation run at once and the mic is live before the agent's greeting begins (a mic opened late cut
    // off the greeting's first words: elevenlabs/packages#29).
    micPromise = openMicrophone();
  } else if (voice) {
    // The person may still refuse: ask first, so a refusal creates no upstream call (no orphaned
    // call, no agent waiting in an empty room, no rate-limit slot). The prompt costs seconds anyway.
    await openMicrophone();
  }
  if (attempt.done) return null;
  if (lkFailed) await lkPromise; // failed while the prompt was open: no call made that nothing could join
  // The pre-connect buffer starts recording as soon as the microphone and livekit-client are both there,
  // usually while the create is still on its way, so words said before the agent joins reach it.
  const startBuffer = (/** @type {any} */ lk) => { if (!attempt.done && voice) steps.mic.startPreConnectBuffer(lk); };
  Promise.all([micPromise, lkPromise]).then(([, lk]) => startBuffer(lk)).catch(() => { /* reported below */ });
  const createPromise = steps.createCall().then((result) => {
    if (!result.ok) {
      const { code, retryAfter, message, requestId } = result.error;
      throw new CallError(code, STEPS.creatingCall, { retryAfter, message, requestId });
    }
    return result.data;
  });
  // Warm the connection up as soon as the URL is known, even while the permission prompt is still open.
  Promise.all([lkPromise, createPromise])
    .then(([lk, created]) => { if (!attempt.done) steps.ensureRoom(lk, created); })
    .catch(() => { /* the awaited path below reports it */ });

  const [, lk, created] = await Promise.all([micPromise, lkPromise, createPromise]).catch((err) => {
    // The microphone (allowed, then unplugged, busy or refused by the system) or livekit-client failed
    // after the create went out: a call it makes is still hung up, livekit-client asked once more.
    Promise.all([createPromise, lkPromise.catch(steps.loadLivekit)])
      .then(([made, module]) => steps.hangUp(module, made))
      .catch(() => { /* no call made, or no way to join it: the agent's own timeout ends it */ });
    throw err;
  });
  let answered = false;
  try {
    if (attempt.done) return null;
    steps.onCreated(created);
    const room = steps.ensureRoom(lk, created);
    startBuffer(lk); // already recording, unless the module arrived last: then now, still before connect

    await connectCallRoom(room, lk, created, mic, () => attempt.done);
    if (attempt.done) return null;

    steps.onConnected();
    await agent.waitFor(room, lk, created.agent_join_timeout_ms ?? DEFAULT_AGENT_JOIN_TIMEOUT_MS);
    answered = true;
    return attempt.done ? null : room;
  } finally {
    // Cancelled once the call existed, before its agent answered: nobody else will end it.
    if (attempt.done && !answered) steps.hangUp(lk, created);
  }
}
