// CallSession: one call with the voice agent, as an event-emitting object with no DOM.
// It wraps one livekit-client Room per call (a new Room each time, so text-stream handlers are
// registered exactly once per Room) and reports everything through typed events; the
// <itellico-call> element, the widget or a test page listen and draw.

import { createApiClient } from './api-client.js';
import { createLevelMeter } from './audio-level.js';
import { CallStateMachine, canStart, isActive, normaliseAgentState } from './call-state.js';
import { END_REASONS, STEPS, endReasonForDisconnect, micErrorCode } from './errors.js';
import { Transcript } from './transcript.js';

/**
 * Events (all `CustomEvent`s; read `event.detail`):
 *
 * | type               | detail                                                                 |
 * |--------------------|------------------------------------------------------------------------|
 * | `state`            | `{state, previous}`; state ∈ idle, requesting-mic, connecting,          |
 * |                    | waiting-for-agent, in-call, ending, ended, error                        |
 * | `agent-state`      | `{agentState}`; initializing, idle, listening, thinking, speaking       |
 * | `transcript`       | `{entry, entries}`; entry = the changed line {id, role, text, final,    |
 * |                    | source, timestamp}, entries = every line in order                        |
 * | `error`            | `{code, message, step, retryAfter?, fatal}`; fatal errors end the call  |
 * | `ended`            | `{reason, callId, durationSeconds}`; reason ∈ hangup, agent-ended,      |
 * |                    | max-duration, dropped, cancelled, failed                                |
 * | `reconnecting`     | `{}`: the connection broke, livekit is retrying (~45 s at most)         |
 * | `reconnected`      | `{}`                                                                    |
 * | `audio-blocked`    | `{blocked}`: true means call `startAudio()` from a tap                  |
 * | `agent-audio`      | `{element, attached}`: the media element playing the agent (may be put  |
 * |                    | in the DOM by the UI; it plays either way)                               |
 * | `mic-level`        | `{level, bands}`: 0..1, about 16 times a second                         |
 * | `agent-level`      | `{level, bands}`: the agent's voice, same shape                         |
 * | `muted`            | `{muted}`                                                               |
 * | `max-call-warning` | `{secondsLeft}`: once, shortly before the maximum call length           |
 * | `devices-changed`  | `{}`: a device was plugged in or removed                                |
 */

export const DEFAULT_AGENT_JOIN_TIMEOUT_MS = 15_000;
/** Warn this long before the maximum call length ends the call. */
export const MAX_CALL_WARNING_SECONDS = 30;

/** Echo cancellation must stay on: the agent would otherwise hear (and answer) itself on laptop speakers. */
export const MIC_CONSTRAINTS = Object.freeze({ echoCancellation: true, noiseSuppression: true, autoGainControl: true });

/** An RPC method no agent implements: the reply (UNSUPPORTED_METHOD) alone shows the agent is there. */
const AGENT_PRESENCE_METHOD = 'itellico.presence';

const LIVEKIT_URL = new URL('../../vendor/livekit-client.esm.mjs', import.meta.url).href;

/** Load livekit-client on demand; a host page pays nothing for it until a call starts (or is warmed). */
let livekitPromise = null;
export function loadLivekitClient() {
  livekitPromise ??= import(LIVEKIT_URL).catch((err) => {
    livekitPromise = null; // let a later attempt retry the download
    throw err;
  });
  return livekitPromise;
}

class CallError extends Error {
  constructor(code, step, { cause, retryAfter, message } = {}) {
    super(message || code, { cause });
    this.code = code;
    this.step = step;
    this.retryAfter = retryAfter;
  }
}

const isAgentParticipant = (p, lk) =>
  (p.kind === lk.ParticipantKind?.AGENT || p.isAgent) &&
  // avatar workers publish on behalf of the agent; they are not the agent (livekit.md §1.5)
  !p.attributes?.['lk.publish_on_behalf'];

export class CallSession extends EventTarget {
  #options;
  #api;
  #machine;
  #transcript = new Transcript();
  #attempt = null; // {aborter, done} for the call being set up; stale async work checks it
  #room = null;
  #lk = null;
  #created = null;
  #rawMic = null;
  #micTrack = null;
  #muted = false;
  #agentIdentity = null;
  #agentState = null;
  #agentWaiter = null;
  #audioElements = new Map();
  #audioContext = null;
  /** A media element started inside the click; it later plays the agent (see #unlockAudio). */
  #primedAudio = null;
  #meters = { mic: null, agent: null };
  #timers = new Set();
  #clientDisconnect = false;
  #reconnecting = false;
  #startedAt = null;
  #endedAt = null;
  #maxCallSeconds = null;
  #preferredDevices = { audioinput: undefined, audiooutput: undefined };

  /**
   * @param {object} [options]
   * @param {string} [options.apiBase]       origin (and path prefix) of our backend; '' = same origin
   * @param {string} [options.demo]          demo slug
   * @param {'voice'|'text'} [options.mode]
   * @param {string} [options.initialText]   sent as the first user message
   * @param {Record<string,string>} [options.variables]
   * @param {string} [options.link]          a signed share link token (sales demos), sent as-is
   * @param {number} [options.maxCallSeconds] used when the create response has no max_call_seconds
   * @param {() => Promise<any>} [options.loadLivekit] injectable for tests
   * @param {typeof fetch} [options.fetch]   injectable for tests
   * @param {MediaDevices} [options.mediaDevices] injectable for tests
   * @param {Permissions} [options.permissions] injectable for tests (navigator.permissions)
   * @param {typeof AudioContext} [options.AudioContext] injectable for tests
   * @param {() => number} [options.now]
   */
  constructor(options = {}) {
    super();
    this.#options = {
      apiBase: '',
      mode: 'voice',
      loadLivekit: loadLivekitClient,
      mediaDevices: globalThis.navigator?.mediaDevices,
      permissions: globalThis.navigator?.permissions,
      AudioContext: globalThis.AudioContext,
      now: Date.now,
      ...options,
    };
    this.#api = createApiClient({ apiBase: this.#options.apiBase, fetch: this.#options.fetch });
    this.#machine = new CallStateMachine({
      onIllegal: (from, to) => console.debug(`[itellico-call] ignored state change ${from} → ${to}`),
    });
    this.#transcript = new Transcript({ now: this.#options.now });
  }

  get state() { return this.#machine.state; }
  get agentState() { return this.#agentState; }
  get callId() { return this.#created?.call_id ?? null; }
  get agentName() { return this.#created?.agent_name ?? null; }
  get mode() { return this.#options.mode === 'text' ? 'text' : 'voice'; }
  set mode(value) { if (canStart(this.state)) this.#options.mode = value; }
  get muted() { return this.#muted; }
  get transcript() { return this.#transcript.entries; }
  get maxCallSeconds() { return this.#maxCallSeconds ?? this.#options.maxCallSeconds ?? null; }
  /** ms since epoch when the agent answered, or null. */
  get startedAt() { return this.#startedAt; }
  get elapsedSeconds() {
    if (!this.#startedAt) return 0;
    return Math.max(0, Math.floor(((this.#endedAt ?? this.#options.now()) - this.#startedAt) / 1000));
  }
  get canPlaybackAudio() { return this.#room ? this.#room.canPlaybackAudio : true; }

  /** Start loading livekit-client without starting a call (on hover or focus). */
  warmUp() {
    this.#options.loadLivekit().catch(() => { /* reported when the call starts */ });
  }

  /**
   * Start a call. Resolves true when the agent answered, false when it failed or was cancelled
   * (the reason arrives as `error` / `ended` events). Must be called from a user gesture in voice mode
   * so the browser lets the agent's audio play.
   */
  async start() {
    if (!canStart(this.state)) return false;
    // Before any await: Safari (and Chrome's autoplay policy) honour only audio started inside the click.
    this.#unlockAudio();
    this.#resetForNewCall();
    const attempt = { aborter: new AbortController(), done: false };
    this.#attempt = attempt;
    const voice = this.mode === 'voice';
    this.#setState(voice ? 'requesting-mic' : 'connecting');

    try {
      const lkPromise = this.#options.loadLivekit().catch((err) => {
        throw new CallError('client_load_failed', STEPS.loadingClient, { cause: err });
      });
      lkPromise.catch(() => { /* awaited below; a failure while the prompt is open is reported there */ });
      let micPromise = Promise.resolve(null);
      if (voice && (await this.#microphoneGranted())) {
        // Fast start: the microphone is already allowed, so it, the livekit-client download and the call
        // creation run at once and the mic is live before the agent's greeting begins (anchors.md §3.8).
        micPromise = this.#openMicrophone(attempt);
      } else if (voice) {
        // The person may still refuse: ask first, so a refusal creates no upstream call (no orphaned
        // call, no agent waiting in an empty room, no rate-limit slot). The prompt costs seconds anyway.
        await this.#openMicrophone(attempt);
      }
      if (attempt.done) return false;
      const createPromise = this.#api.createCall(this.#createBody(), { signal: attempt.aborter.signal }).then((result) => {
        if (!result.ok) {
          throw new CallError(result.error.code, STEPS.creatingCall, { retryAfter: result.error.retryAfter, message: result.error.message });
        }
        return result.data;
      });
      // Warm the connection up as soon as the URL is known, even while the permission prompt is still open.
      Promise.all([lkPromise, createPromise])
        .then(([lk, created]) => { if (!attempt.done) this.#ensureRoom(lk, created); })
        .catch(() => { /* the awaited path below reports it */ });

      const [, lk, created] = await Promise.all([micPromise, lkPromise, createPromise]);
      if (attempt.done) return false;
      this.#created = created;
      this.#maxCallSeconds = created.max_call_seconds ?? null;
      const room = this.#ensureRoom(lk, created);

      const connectOptions = created.rtc_config ? { rtcConfig: created.rtc_config } : undefined;
      try {
        await room.connect(created.livekit_url, created.token, connectOptions);
      } catch (err) {
        throw new CallError('livekit_unreachable', STEPS.connecting, { cause: err });
      }
      if (attempt.done) return false;

      if (this.#rawMic) {
        this.#micTrack = new lk.LocalAudioTrack(this.#rawMic, { ...MIC_CONSTRAINTS, deviceId: this.#preferredDevices.audioinput }, false);
        try {
          await room.localParticipant.publishTrack(this.#micTrack, { source: lk.Track.Source.Microphone });
        } catch (err) {
          throw new CallError('livekit_unreachable', STEPS.connecting, { cause: err });
        }
        if (this.#muted) await this.#micTrack.mute();
      }
      if (attempt.done) return false;

      this.#setState('waiting-for-agent');
      await this.#waitForAgent(room, lk, created.agent_join_timeout_ms ?? DEFAULT_AGENT_JOIN_TIMEOUT_MS);
      if (attempt.done) return false;

      this.#startedAt = this.#options.now();
      this.#setState('in-call');
      this.#armMaxCallTimers();
      this.#emit('audio-blocked', { blocked: !room.canPlaybackAudio });
      return true;
    } catch (err) {
      if (attempt.done || err?.code === 'cancelled') return false; // end() ran meanwhile
      await this.#fail(err instanceof CallError ? err : new CallError('unknown_error', this.#stepForState(), { cause: err }));
      return false;
    }
  }

  /**
   * Hang up (or cancel a call that is still being set up). Resolves when everything is released.
   * @param {string} [reason] an END_REASONS value; defaults to hangup (or cancelled before the agent answered)
   */
  async end(reason) {
    const state = this.state;
    if (!isActive(state) || state === 'ending') return;
    const finalReason = reason ?? (state === 'in-call' ? END_REASONS.hangup : END_REASONS.cancelled);
    this.#markAttemptDone();
    this.#setState('ending');
    this.#clientDisconnect = true;
    await this.#room?.disconnect().catch(() => {});
    this.#finish(finalReason);
  }

  /**
   * Send typed text to the agent (`lk.chat`). The agent does not echo it, so the line is added here.
   * @param {string} text
   * @returns {Promise<boolean>}
   */
  async sendText(text) {
    const message = String(text ?? '').trim();
    if (!message || this.state !== 'in-call' || !this.#room) return false;
    const entry = this.#transcript.addTyped(message);
    this.#emit('transcript', { entry, entries: this.#transcript.entries });
    try {
      await this.#room.localParticipant.sendText(message, { topic: 'lk.chat' });
      return true;
    } catch (err) {
      this.#emit('error', { code: 'call_dropped', message: String(err?.message ?? err), step: STEPS.inCall, fatal: false });
      return false;
    }
  }

  /** @param {boolean} muted */
  async setMuted(muted) {
    this.#muted = Boolean(muted);
    if (this.#micTrack) {
      await (this.#muted ? this.#micTrack.mute() : this.#micTrack.unmute());
    } else if (this.#rawMic) {
      this.#rawMic.enabled = !this.#muted;
    }
    this.#emit('muted', { muted: this.#muted });
  }

  /** Resume blocked agent audio. Call straight from a click/tap handler (autoplay rules). */
  async startAudio() {
    if (!this.#room) return;
    try {
      await this.#room.startAudio();
    } finally {
      this.#emit('audio-blocked', { blocked: !this.#room?.canPlaybackAudio });
    }
  }

  /**
   * Choose a microphone ('audioinput') or speaker ('audiooutput'). Before a call, the choice is kept for the next call.
   * @returns {Promise<boolean>} whether the device is now in use
   */
  async switchDevice(kind, deviceId) {
    this.#preferredDevices[kind] = deviceId || undefined;
    if (!this.#room || !isActive(this.state)) return true;
    const ok = await this.#room.switchActiveDevice(kind, deviceId || 'default', Boolean(deviceId)).catch((err) => {
      this.#emit('error', { code: micErrorCode(err), message: String(err?.message ?? err), step: STEPS.inCall, fatal: false });
      return false;
    });
    // The mic restarted on a new MediaStreamTrack: measure that one.
    if (kind === 'audioinput' && this.#micTrack) this.#startMeter('mic', this.#micTrack.mediaStreamTrack);
    return ok;
  }

  /**
   * Devices for the pickers. Labels are empty until the microphone was allowed once.
   * @returns {Promise<{audioinput: {deviceId: string, label: string}[], audiooutput: {deviceId: string, label: string}[], canSelectSpeaker: boolean}>}
   */
  async listDevices() {
    const canSelectSpeaker = typeof globalThis.HTMLMediaElement !== 'undefined' && 'setSinkId' in globalThis.HTMLMediaElement.prototype;
    const all = (await this.#options.mediaDevices?.enumerateDevices?.().catch(() => [])) ?? [];
    const pick = (kind) => all.filter((d) => d.kind === kind && d.deviceId).map((d) => ({ deviceId: d.deviceId, label: d.label }));
    return { audioinput: pick('audioinput'), audiooutput: canSelectSpeaker ? pick('audiooutput') : [], canSelectSpeaker };
  }

  /** The device ids in use (or preferred for the next call). */
  activeDevices() {
    return {
      audioinput: this.#room?.getActiveDevice('audioinput') ?? this.#preferredDevices.audioinput,
      audiooutput: this.#room?.getActiveDevice('audiooutput') ?? this.#preferredDevices.audiooutput,
    };
  }

  /**
   * The backend's record of the call (status, duration, messages), polled until it is no longer in_progress.
   * @returns {Promise<{ok: true, data: object} | {ok: false, error: {code: string, message: string}}>}
   */
  summary({ timeoutMs } = {}) {
    if (!this.#created) return Promise.resolve({ ok: false, error: { code: 'not_found', message: 'no call yet' } });
    return this.#api.pollCall(this.#created.call_id, this.#created.handle, { timeoutMs });
  }

  /**
   * Inbound audio counters and the selected ICE pair, from the agent audio track's RTC stats.
   * Used by end-to-end tests and diagnostics.
   */
  async getConnectionStats() {
    const result = { inboundAudioBytes: 0, inboundAudioPackets: 0, selectedPair: null };
    const track = this.#agentAudioTrack();
    const report = await track?.getRTCStatsReport?.().catch(() => undefined);
    if (!report) return result;
    const stats = [...report.values()];
    const byId = new Map(stats.map((s) => [s.id, s]));
    for (const s of stats) {
      if (s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === 'audio') {
        result.inboundAudioBytes += s.bytesReceived ?? 0;
        result.inboundAudioPackets += s.packetsReceived ?? 0;
      }
    }
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = byId.get(transport?.selectedCandidatePairId) ??
      stats.find((s) => s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated);
    if (pair) {
      const local = byId.get(pair.localCandidateId) ?? {};
      const remote = byId.get(pair.remoteCandidateId) ?? {};
      result.selectedPair = {
        remoteAddress: remote.address ?? remote.ip ?? null,
        remotePort: remote.port ?? null,
        protocol: remote.protocol ?? local.protocol ?? null,
        localAddress: local.address ?? local.ip ?? null,
      };
    }
    return result;
  }

  // ── internals ──────────────────────────────────────────────────────────────

  #createBody() {
    const { demo, initialText, variables, link } = this.#options;
    const body = { mode: this.mode };
    if (demo) body.demo = demo;
    if (link) body.link = link;
    if (initialText) body.initial_text = initialText;
    if (variables && Object.keys(variables).length) body.variables = variables;
    return body;
  }

  /** Whether the Permissions API says the microphone is allowed already (no prompt will show). */
  async #microphoneGranted() {
    try {
      const status = await this.#options.permissions?.query({ name: /** @type {PermissionName} */ ('microphone') });
      return status?.state === 'granted';
    } catch {
      return false; // Firefox before 131 and others reject the 'microphone' name: ask first
    }
  }

  /**
   * Create and resume the call's AudioContext inside the click, so it runs (for the meters and anything
   * else that plays through Web Audio), and let the Room start audio once it exists.
   */
  #unlockAudio() {
    const AudioContextClass = this.#options.AudioContext;
    if (AudioContextClass) {
      try {
        this.#audioContext ??= new AudioContextClass();
        this.#audioContext.resume().catch(() => { /* still suspended: the audio-blocked banner offers a tap */ });
      } catch {
        this.#audioContext = null; // no Web Audio: the call works without meters
      }
    }
    // What room.startAudio() does for attached elements, before the Room exists: play() an element now,
    // inside the gesture (WebKit then lets that element play), and hand it to the agent's first track
    // (track.attach(element) swaps its stream in). A silent stream gives play() something to play.
    const element = globalThis.document?.createElement?.('audio');
    if (!element) return;
    try {
      const silence = this.#audioContext?.createMediaStreamDestination?.();
      if (silence) element.srcObject = silence.stream;
    } catch { /* play() alone still counts as started by the person */ }
    element.play?.()?.catch(() => { /* blocked anyway: the audio-blocked banner offers a tap */ });
    this.#primedAudio = element;
  }

  async #openMicrophone(attempt) {
    const devices = this.#options.mediaDevices;
    if (!devices?.getUserMedia) throw new CallError('unsupported_browser', STEPS.microphone);
    let stream;
    try {
      const deviceId = this.#preferredDevices.audioinput;
      stream = await devices.getUserMedia({ audio: { ...MIC_CONSTRAINTS, ...(deviceId ? { deviceId: { ideal: deviceId } } : {}) } });
    } catch (err) {
      // livekit's MediaDeviceFailure would do the same; we may not have loaded livekit yet, so read the DOMException.
      throw new CallError(micErrorCode(err), STEPS.microphone, { cause: err });
    }
    const track = stream.getAudioTracks()[0];
    if (attempt.done) { // cancelled while the prompt was open
      track?.stop();
      return null;
    }
    this.#rawMic = track;
    track.enabled = !this.#muted;
    this.#startMeter('mic', track);
    if (this.state === 'requesting-mic') this.#setState('connecting');
    return track;
  }

  #ensureRoom(lk, created) {
    if (this.#room) return this.#room;
    this.#lk = lk;
    const room = new lk.Room({
      audioCaptureDefaults: { ...MIC_CONSTRAINTS },
      // Play agent audio through media elements, not Web Audio, so echo cancellation applies (livekit.md §5).
      webAudioMix: false,
      audioOutput: this.#preferredDevices.audiooutput ? { deviceId: this.#preferredDevices.audiooutput } : undefined,
    });
    this.#room = room;
    this.#wireRoom(room, lk);
    room.prepareConnection(created.livekit_url, created.token).catch(() => { /* connect() reports it */ });
    return room;
  }

  #wireRoom(room, lk) {
    const E = lk.RoomEvent;
    room
      .on(E.ParticipantConnected, (p) => {
        if (isAgentParticipant(p, lk) && (!this.#agentIdentity || p.identity === this.#agentIdentity)) this.#adoptAgent(p);
      })
      .on(E.ParticipantDisconnected, (p) => {
        // During a full reconnect livekit rebuilds its participant list; that is not the agent leaving
        // (Reconnected decides, below).
        if (p.identity !== this.#agentIdentity || this.#reconnecting || this.#clientDisconnect) return;
        this.#agentLeft();
      })
      .on(E.ParticipantAttributesChanged, (changed, p) => {
        if (p?.identity === this.#agentIdentity && 'lk.agent.state' in changed) this.#setAgentState(changed['lk.agent.state']);
      })
      .on(E.TrackSubscribed, (track, _pub, p) => {
        // Re-attach on every subscription: a full reconnect subscribes the agent's track again (livekit.md §1.8).
        if (track.kind === lk.Track.Kind.Audio && isAgentParticipant(p, lk)) this.#attachAgentAudio(track);
      })
      .on(E.TrackUnsubscribed, (track) => this.#detachAgentAudio(track))
      .on(E.AudioPlaybackStatusChanged, () => this.#emit('audio-blocked', { blocked: !room.canPlaybackAudio }))
      .on(E.Reconnecting, () => this.#onReconnecting())
      .on(E.SignalReconnecting, () => this.#onReconnecting())
      .on(E.Reconnected, () => {
        this.#reconnecting = false;
        this.#emit('reconnected', {});
        // livekit lists the participants again (from the join response) before it emits Reconnected,
        // so an agent missing now has left or crashed meanwhile (Room.handleSignalRestarted).
        const agent = [...room.remoteParticipants.values()].find((p) => isAgentParticipant(p, lk));
        if (agent) {
          this.#adoptAgent(agent);
          this.#confirmAgentPresent(room, lk, agent.identity);
        } else if (this.#agentIdentity) {
          this.#agentLeft();
        }
      })
      .on(E.Disconnected, (reason) => this.#onDisconnected(reason))
      .on(E.MediaDevicesChanged, () => this.#emit('devices-changed', {}))
      .on(E.MediaDevicesError, (err) => {
        const failure = lk.MediaDeviceFailure?.getFailure?.(err);
        this.#emit('error', { code: micErrorCode(err, failure), message: String(err?.message ?? err), step: STEPS.inCall, fatal: false });
      });
    // Exactly once per Room: registering a topic twice throws (livekit.md §1.6).
    room.registerTextStreamHandler('lk.transcription', (reader, info) => {
      this.#readTranscription(reader, info?.identity).catch(() => { /* a broken stream only loses its own line */ });
    });
  }

  async #readTranscription(reader, identity) {
    const role = identity && identity === this.#room?.localParticipant?.identity ? 'user' : 'agent';
    const attributes = () => reader.info.attributes ?? {};
    const segmentId = attributes()['lk.segment_id'] ?? reader.info.id;
    const streamId = reader.info.id;
    let text = '';
    try {
      for await (const chunk of reader) {
        text += chunk;
        this.#applyTranscript({ segmentId, streamId, role, text, final: false });
      }
    } finally {
      // The final flag of agent speech arrives in the trailer, merged into info.attributes at the end.
      this.#applyTranscript({ segmentId, streamId, role, text, final: attributes()['lk.transcription_final'] === 'true' });
    }
  }

  #applyTranscript(update) {
    if (!isActive(this.state)) return; // a stream finishing after hang-up must not reopen the transcript
    const entry = this.#transcript.applyStream(update);
    this.#emit('transcript', { entry, entries: this.#transcript.entries });
  }

  #adoptAgent(p) {
    this.#agentIdentity = p.identity;
    this.#setAgentState(p.attributes?.['lk.agent.state'] ?? 'initializing');
    // Attributes set before we joined never arrive as change events, so read them now (livekit.md §2.7).
    for (const pub of p.audioTrackPublications?.values?.() ?? []) {
      if (pub.track) this.#attachAgentAudio(pub.track);
    }
    this.#agentWaiter?.resolve(p);
  }

  /**
   * The agent is gone: end the call, whether it is up or the agent was just adopted and start() has not
   * shown in-call yet. Never a call that shows "listening" with nobody there.
   */
  #agentLeft() {
    if (this.state === 'in-call' || this.state === 'waiting-for-agent') this.end(END_REASONS.agentEnded);
  }

  /**
   * After a signal *resume* livekit-server lists the participants still there but never reports one that
   * left during the outage (it sends no "disconnected" update), so livekit-client keeps a ghost agent.
   * Ask the agent directly: LiveKit SDKs acknowledge every RPC, even for a method they do not handle
   * (they answer UNSUPPORTED_METHOD); no acknowledgement (CONNECTION_TIMEOUT, after 7 s) or a
   * disconnected/unknown recipient means nobody is there.
   */
  async #confirmAgentPresent(room, lk, identity) {
    if (typeof room.localParticipant?.performRpc !== 'function') return;
    const codes = lk.RpcError?.ErrorCode ?? {};
    const gone = [codes.CONNECTION_TIMEOUT ?? 1501, codes.RECIPIENT_DISCONNECTED ?? 1503, codes.RECIPIENT_NOT_FOUND ?? 1401];
    try {
      await room.localParticipant.performRpc({ destinationIdentity: identity, method: AGENT_PRESENCE_METHOD, payload: '' });
    } catch (err) {
      // A newer reconnect, another call or a new agent since: that one decides.
      if (!gone.includes(err?.code) || room !== this.#room || this.#reconnecting || identity !== this.#agentIdentity) return;
      this.#agentLeft();
    }
  }

  #waitForAgent(room, lk, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = this.#setTimer(() => {
        this.#agentWaiter = null;
        reject(new CallError('agent_join_timeout', STEPS.waitingForAgent));
      }, timeoutMs);
      this.#agentWaiter = {
        resolve: () => { this.#clearTimer(timer); this.#agentWaiter = null; resolve(); },
        reject: (err) => { this.#clearTimer(timer); this.#agentWaiter = null; reject(err); },
      };
      const present = [...room.remoteParticipants.values()].find((p) => isAgentParticipant(p, lk));
      if (present) this.#adoptAgent(present);
    });
  }

  #setAgentState(value) {
    const next = normaliseAgentState(value);
    if (next === this.#agentState) return;
    this.#agentState = next;
    this.#emit('agent-state', { agentState: next });
  }

  #attachAgentAudio(track) {
    if (this.#audioElements.has(track)) return;
    const element = this.#primedAudio ? track.attach(this.#primedAudio) : track.attach();
    this.#primedAudio = null;
    this.#audioElements.set(track, element);
    this.#emit('agent-audio', { element, attached: true });
    if (track.mediaStreamTrack) this.#startMeter('agent', track.mediaStreamTrack);
  }

  #detachAgentAudio(track) {
    const element = this.#audioElements.get(track);
    if (!element) return;
    track.detach(element);
    element.remove?.();
    this.#audioElements.delete(track);
    this.#stopMeter('agent');
    this.#emit('agent-audio', { element, attached: false });
  }

  #agentAudioTrack() {
    const agent = this.#agentIdentity && this.#room?.remoteParticipants.get(this.#agentIdentity);
    for (const pub of agent?.audioTrackPublications?.values?.() ?? []) if (pub.track) return pub.track;
    return [...this.#audioElements.keys()][0] ?? null;
  }

  #startMeter(which, mediaStreamTrack) {
    this.#stopMeter(which);
    if (!this.#options.AudioContext || !mediaStreamTrack) return;
    try {
      this.#audioContext ??= new this.#options.AudioContext();
      this.#meters[which] = createLevelMeter(mediaStreamTrack, {
        audioContext: this.#audioContext,
        onLevel: (sample) => this.#emit(`${which}-level`, sample),
      });
    } catch {
      this.#meters[which] = null; // a meter is a nicety; the call works without it
    }
  }

  #stopMeter(which) {
    this.#meters[which]?.stop();
    this.#meters[which] = null;
  }

  #armMaxCallTimers() {
    const max = this.maxCallSeconds;
    if (!(max > 0)) return;
    const warnIn = Math.max(0, max - MAX_CALL_WARNING_SECONDS);
    this.#setTimer(() => this.#emit('max-call-warning', { secondsLeft: Math.min(MAX_CALL_WARNING_SECONDS, max) }), warnIn * 1000);
    this.#setTimer(() => this.end(END_REASONS.maxDuration), max * 1000);
  }

  #onReconnecting() {
    if (this.#reconnecting || this.state !== 'in-call') return;
    this.#reconnecting = true;
    this.#emit('reconnecting', {});
  }

  #onDisconnected(reason) {
    if (this.#clientDisconnect) return; // end() finishes the call itself
    const endReason = endReasonForDisconnect(reason);
    const state = this.state;
    if (state === 'in-call') {
      if (endReason === END_REASONS.dropped) this.#fail(new CallError('call_dropped', STEPS.inCall), END_REASONS.dropped);
      else {
        this.#clientDisconnect = true; // the room is gone; nothing left to disconnect
        this.#setState('ending');
        this.#finish(endReason);
      }
    } else if (state === 'waiting-for-agent') {
      this.#agentWaiter?.reject(new CallError('call_dropped', STEPS.waitingForAgent));
    }
  }

  /**
   * Stop the call with an error. Everything is released BEFORE the change is announced: a listener may
   * start the next call from the `error` event, and that call must get a new Room and a live microphone,
   * not this call's dying ones.
   */
  async #fail(err, endReason = END_REASONS.failed) {
    if (!isActive(this.state)) return;
    this.#markAttemptDone();
    this.#clientDisconnect = true;
    const room = this.#room;
    const disconnected = room?.disconnect().catch(() => {});
    this.#release();
    const ended = this.#endedDetail(endReason);
    this.#setState('error');
    this.#emit('error', { code: err.code, message: err.message, step: err.step, retryAfter: err.retryAfter, fatal: true });
    if (err.cause) console.debug('[itellico-call]', err.code, err.cause);
    // `ended` names this call even if a listener has started the next one meanwhile.
    this.#emit('ended', ended);
    await disconnected;
  }

  #finish(reason) {
    this.#release();
    const ended = this.#endedDetail(reason);
    this.#setState('ended');
    this.#emit('ended', ended);
  }

  #endedDetail(reason) {
    return { reason, callId: this.callId, durationSeconds: this.#startedAt ? this.elapsedSeconds : null };
  }

  /** Free every resource of the call: tracks, meters, timers, audio elements, the Room. */
  #release() {
    if (this.#startedAt && !this.#endedAt) this.#endedAt = this.#options.now();
    for (const entry of this.#transcript.finalizeAll()) {
      this.#emit('transcript', { entry, entries: this.#transcript.entries });
    }
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#stopMeter('mic');
    this.#stopMeter('agent');
    this.#audioContext?.close().catch(() => {});
    this.#audioContext = null;
    if (this.#primedAudio) {
      this.#primedAudio.pause?.();
      this.#primedAudio.srcObject = null;
      this.#primedAudio = null;
    }
    for (const track of [...this.#audioElements.keys()]) this.#detachAgentAudio(track);
    this.#micTrack?.stop();
    this.#rawMic?.stop();
    this.#micTrack = null;
    this.#rawMic = null;
    this.#room?.removeAllListeners();
    this.#room = null;
    this.#agentWaiter = null;
    this.#reconnecting = false;
  }

  #markAttemptDone() {
    if (!this.#attempt) return;
    this.#attempt.done = true;
    this.#attempt.aborter.abort();
    this.#agentWaiter?.reject(new CallError('cancelled', this.#stepForState()));
    this.#attempt = null;
  }

  #resetForNewCall() {
    this.#transcript.clear();
    this.#created = null;
    this.#agentIdentity = null;
    this.#agentState = null;
    this.#startedAt = null;
    this.#endedAt = null;
    this.#maxCallSeconds = null;
    this.#clientDisconnect = false;
    this.#reconnecting = false;
  }

  #stepForState() {
    return { 'requesting-mic': STEPS.microphone, connecting: STEPS.connecting, 'waiting-for-agent': STEPS.waitingForAgent }[this.state] ?? STEPS.inCall;
  }

  #setTimer(fn, ms) {
    const timer = setTimeout(() => { this.#timers.delete(timer); fn(); }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #clearTimer(timer) {
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  #setState(next) {
    const previous = this.#machine.state;
    if (this.#machine.transition(next)) this.#emit('state', { state: next, previous });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
