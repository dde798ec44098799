// CallSession: one call with the voice agent, as an event-emitting object with no UI.
// It wraps one livekit-client Room per call (a new Room each time, so text-stream handlers are
// registered exactly once per Room) and reports everything through the events of CallEvent
// (call-events.js: names and detail shapes); the <itellico-call> element, the widget or a test page
// listen and draw. Helpers: call-start.js (the start sequence), call-connection.js and call-room.js (the
// Room), conversation.js (the transcript), call-devices.js and microphone.js (permission, getUserMedia,
// mute, devices), audio-output.js (agent audio, meters, the audio unlock), agent-presence.js, call-clock.js (duration,
// maximum length), call-options.js, connection-stats.js, livekit-loader.js.

import { AudioOutput } from './audio-output.js';
import { createApiClient } from './api-client.js';
import { CallClock } from './call-clock.js';
import { CallDevices } from './call-devices.js';
import { CallEvent } from './call-events.js';
import { createCallBody, withDefaults } from './call-options.js';
import { CallConnection } from './call-connection.js';
import { CallAttempt, DEFAULT_AGENT_JOIN_TIMEOUT_MS, runStartSequence, stepForState } from './call-start.js';
import { CallStateMachine, canStart, isActive } from './call-state.js';
import { Conversation, MAX_MESSAGE_CHARS } from './conversation.js';
import { hangUpUnanswered } from './hang-up.js';
import { CallError, END_REASONS, STEPS } from './errors.js';
import { Microphone, microphoneGranted } from './microphone.js';
import { loadLivekitClient } from './livekit-loader.js';

export { CallEvent } from './call-events.js';
export { MAX_CALL_WARNING_SECONDS } from './call-clock.js';
export { DEFAULT_AGENT_JOIN_TIMEOUT_MS } from './call-start.js';
export { loadLivekitClient } from './livekit-loader.js';
export { MIC_CONSTRAINTS } from './microphone.js';

/**
 * On the first sign of intent (hover, focus): fetch livekit-client and learn whether the microphone is
 * allowed, so that the click can send the create at once. Nothing is asked or opened.
 * @param {Permissions|undefined} [permissions]
 */
export function warmUpCall(permissions = globalThis.navigator?.permissions) {
  loadLivekitClient().catch(() => { /* reported when the call starts */ });
  microphoneGranted(permissions).catch(() => { /* asked again when the call starts */ });
}

/**
 * @typedef {import('./call-events.js').CallEventDetails} CallEventDetails
 * @typedef {import('./call-events.js').CallState} CallState
 * @typedef {import('./call-events.js').EndedDetail} EndedDetail
 * @typedef {import('./call-options.js').CallSessionOptions} CallSessionOptions
 */

export class CallSession extends EventTarget {
  /** @type {import('./call-options.js').ResolvedCallOptions} */
  #options;
  #api;
  #machine;
  #conversation;
  #audio;
  /** @type {CallAttempt|null} the call being set up; stale async work checks it */
  #attempt = null;
  /** @type {any} */ #created = null;
  #mic;
  #devices;
  #conn;
  #agent;
  #clock;

  /** @param {CallSessionOptions} [options] */
  constructor(options = {}) {
    super();
    this.#options = withDefaults(options);
    this.#api = createApiClient({ apiBase: this.#options.apiBase, fetch: this.#options.fetch });
    this.#machine = new CallStateMachine({
      onIllegal: (from, to) => console.debug(`[itellico-call] ignored state change ${from} → ${to}`),
    });
    const emit = (type, detail) => this.#emit(type, detail);
    this.#conversation = new Conversation({ now: this.#options.now, emit });
    this.#clock = new CallClock(this.#options.now);
    this.#audio = new AudioOutput({ AudioContext: this.#options.AudioContext, emit });
    this.#mic = new Microphone({
      mediaDevices: this.#options.mediaDevices,
      permissions: this.#options.permissions,
      onTrack: (track) => this.#audio.startMeter('mic', track),
      level: () => this.#audio.level('mic'),
      onLost: (lost) => this.#emit(CallEvent.MicLost, { lost }),
    });
    this.#conn = new CallConnection({
      audio: this.#audio,
      conversation: this.#conversation,
      emit,
      state: () => this.state,
      onDropped: () => this.#fail(new CallError('call_dropped', STEPS.inCall), END_REASONS.dropped),
      onClosed: (reason) => {
        this.#setState('ending');
        this.#finish(reason);
      },
      onAgentLeft: () => this.end(END_REASONS.agentEnded),
      agentMayTalk: () => this.#mic.agentMayTalk(),
    });
    this.#agent = this.#conn.agent;
    this.#devices = new CallDevices({ mic: this.#mic, room: () => this.#conn.room, active: () => isActive(this.state), emit });
  }

  /** @returns {CallState} */
  get state() { return /** @type {CallState} */ (this.#machine.state); }
  get agentState() { return this.#agent.state; }
  /** @returns {string|null} */
  get callId() { return this.#created?.call_id ?? null; }
  /** @returns {string|null} */
  get agentName() { return this.#created?.agent_name ?? null; }
  /** @returns {'voice'|'text'} */
  get mode() { return this.#options.mode === 'text' ? 'text' : 'voice'; }
  set mode(value) { if (canStart(this.state)) this.#options.mode = value; }
  get muted() { return this.#mic.muted; }
  get transcript() { return this.#conversation.entries; }
  /** @returns {number|null} */
  get maxCallSeconds() { return this.#clock.maxSeconds ?? this.#options.maxCallSeconds ?? null; }
  /** ms since epoch when the agent answered, or null. */
  get startedAt() { return this.#clock.startedAt; }
  get elapsedSeconds() { return this.#clock.elapsedSeconds; }
  get canPlaybackAudio() { return this.#conn.room ? this.#conn.room.canPlaybackAudio : true; }

  /**
   * Start a call. Resolves true when the agent answered, false when it failed or was cancelled (the reason
   * arrives as `error` / `ended` events). Call it straight from the click: it unlocks audio before its
   * first await (Safari and autoplay rules honour only audio started inside the gesture).
   */
  async start() {
    if (!canStart(this.state)) return false;
    this.#audio.unlock();
    this.#resetForNewCall();
    const attempt = new CallAttempt();
    this.#attempt = attempt;
    const voice = this.mode === 'voice';
    this.#setState(voice ? 'requesting-mic' : 'connecting');
    try {
      const room = await runStartSequence(attempt, {
        voice,
        webrtc: typeof this.#options.RTCPeerConnection === 'function',
        loadLivekit: this.#options.loadLivekit,
        mic: this.#mic,
        agent: this.#agent,
        createCall: () => this.#api.createCall(createCallBody(this.#options, this.mode)),
        ensureRoom: (lk, created) => this.#conn.ensure(lk, created, this.#mic.preferred.audiooutput),
        onMicOpen: () => { if (this.state === 'requesting-mic') this.#setState('connecting'); },
        onCreated: (created) => {
          this.#created = created;
          this.#clock.maxSeconds = created.max_call_seconds ?? null;
        },
        onConnected: () => this.#setState('waiting-for-agent'),
        hangUp: (lk, created) => {
          hangUpUnanswered(lk, created, created.agent_join_timeout_ms ?? DEFAULT_AGENT_JOIN_TIMEOUT_MS);
        },
      });
      if (!room) return false;
      this.#clock.begin();
      this.#setState('in-call');
      this.#clock.armMaxLength(
        this.maxCallSeconds,
        (secondsLeft) => this.#emit(CallEvent.MaxCallWarning, { secondsLeft }),
        () => this.end(END_REASONS.maxDuration),
      );
      this.#emit(CallEvent.AudioBlocked, { blocked: !room.canPlaybackAudio });
      return true;
    } catch (err) {
      if (attempt.done || /** @type {any} */ (err)?.code === 'cancelled') return false; // end() ran meanwhile
      await this.#fail(err instanceof CallError ? err : new CallError('unknown_error', stepForState(this.state), { cause: err }));
      return false;
    }
  }

  /**
   * Hang up (or cancel a call that is still being set up). Resolves when everything is released.
   * @param {import('./call-events.js').EndReason} [reason] defaults to hangup (or cancelled before the agent answered)
   */
  async end(reason) {
    const state = this.state;
    if (!isActive(state) || state === 'ending') return;
    const finalReason = reason ?? (state === 'in-call' ? END_REASONS.hangup : END_REASONS.cancelled);
    this.#markAttemptDone();
    this.#setState('ending');
    await this.#conn.disconnect();
    this.#finish(/** @type {import('./call-events.js').EndReason} */ (finalReason));
  }

  /**
   * Send typed text to the agent (`lk.chat`). The agent does not echo it, so the line is added here.
   * @param {string} text
   * @returns {Promise<boolean>}
   */
  async sendText(text) {
    const message = String(text ?? '').trim();
    if (!message || message.length > MAX_MESSAGE_CHARS || this.state !== 'in-call' || !this.#conn.room) return false;
    return this.#conversation.send(this.#conn.room, message, this.#conn.agentCanRead());
  }

  /** @param {boolean} muted */
  setMuted(muted) {
    return this.#devices.setMuted(muted);
  }

  /** Try a microphone that stopped mid-call again (`mic-lost`). @returns {Promise<boolean>} whether it is back */
  retryMicrophone() {
    return this.#mic.retry();
  }

  /** Resume blocked agent audio. Call straight from a click/tap handler (autoplay rules). */
  startAudio() {
    return this.#conn.startAudio();
  }

  /**
   * Choose a microphone or speaker. Before a call, the choice is kept for the next call.
   * @param {'audioinput'|'audiooutput'} kind
   * @param {string|undefined} deviceId
   * @returns {Promise<boolean>} whether the device is now in use
   */
  switchDevice(kind, deviceId) {
    return this.#devices.switch(kind, deviceId);
  }

  /** Devices for the pickers. Labels are empty until the microphone was allowed once. */
  listDevices() {
    return this.#devices.list();
  }

  /** The device ids in use (or preferred for the next call). */
  activeDevices() {
    return this.#devices.active();
  }

  /**
   * The backend's record of the call (status, duration, messages), polled until it is no longer in_progress:
   * `{ok: true, data}` or `{ok: false, error: {code, message}}` (api-client.js).
   * @param {{timeoutMs?: number}} [options]
   */
  summary({ timeoutMs } = {}) {
    if (!this.#created) return Promise.resolve({ ok: false, error: { code: 'not_found', message: 'no call yet' } });
    return this.#api.pollCall(this.#created.call_id, this.#created.handle, { timeoutMs });
  }

  /** Inbound audio counters and the selected ICE pair of the agent's audio (diagnostics, end-to-end tests). */
  getConnectionStats() {
    const track = this.#agent.audioTrack(this.#conn.room) ?? this.#audio.firstTrack();
    // Loaded when asked: diagnostics are no part of what a visitor downloads to start a call.
    return import('./connection-stats.js').then(({ connectionStats }) => connectionStats(track));
  }

  // ── internals ──────────────────────────────────────────────────────────────

  /**
   * Stop the call with an error. Everything is released BEFORE the change is announced: a listener may
   * start the next call from the `error` event, and that call must get a new Room and a live microphone,
   * not this call's dying ones.
   * @param {CallError} err
   * @param {import('./call-events.js').EndReason} [endReason]
   */
  async #fail(err, endReason = END_REASONS.failed) {
    if (!isActive(this.state)) return;
    this.#markAttemptDone();
    const disconnected = this.#conn.disconnect();
    this.#release();
    const ended = this.#endedDetail(endReason);
    this.#setState('error');
    this.#emit(CallEvent.Error, { code: err.code, message: err.message, step: err.step, retryAfter: err.retryAfter, requestId: err.requestId, fatal: true });
    if (err.cause) console.debug('[itellico-call]', err.code, err.cause);
    // `ended` names this call even if a listener has started the next one meanwhile.
    this.#emit(CallEvent.Ended, ended);
    await disconnected;
  }

  /** @param {import('./call-events.js').EndReason} reason */
  #finish(reason) {
    this.#release();
    const ended = this.#endedDetail(reason);
    this.#setState('ended');
    this.#emit(CallEvent.Ended, ended);
  }

  /** @param {import('./call-events.js').EndReason} reason @returns {EndedDetail} */
  #endedDetail(reason) {
    return { reason, callId: this.callId, durationSeconds: this.#clock.durationSeconds };
  }

  /** Free every resource of the call: tracks, meters, timers, audio elements, the Room. */
  #release() {
    this.#clock.stop();
    this.#conversation.finalizeAll();
    this.#audio.release();
    this.#mic.release();
    this.#conn.release();
    this.#agent.cancelWait(new CallError('cancelled', STEPS.inCall));
  }

  #markAttemptDone() {
    if (!this.#attempt) return;
    this.#attempt.cancel();
    this.#agent.cancelWait(new CallError('cancelled', stepForState(this.state)));
    this.#attempt = null;
  }

  #resetForNewCall() {
    this.#conversation.clear();
    this.#created = null;
    this.#agent.reset();
    this.#clock.reset();
    this.#conn.reset();
  }

  /** @param {CallState} next */
  #setState(next) {
    const previous = /** @type {CallState} */ (this.#machine.state);
    if (this.#machine.transition(next)) this.#emit(CallEvent.State, { state: next, previous });
  }

  /**
   * @template {keyof CallEventDetails} K
   * @param {K} type a CallEvent value
   * @param {CallEventDetails[K]} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
