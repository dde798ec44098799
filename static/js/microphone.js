// The microphone and the device lists, before livekit-client is loaded (so the prompt can open at once).

import { CallError, STEPS, micErrorCode } from './errors.js';
import { bufferedTrackClass, stopBufferOnceSubscribed } from './preconnect-buffer.js';

/** Echo cancellation must stay on: the agent would otherwise hear (and answer) itself on laptop speakers. */
export const MIC_CONSTRAINTS = Object.freeze({ echoCancellation: true, noiseSuppression: true, autoGainControl: true });

/** navigator.permissions → its live microphone PermissionStatus (null: the browser will not say). */
const permissionQueries = new WeakMap();

/**
 * Whether the Permissions API says the microphone is allowed already, so no prompt will show. Asked
 * once per page and kept: the status object follows later changes, and a click that finds it known
 * sends the create at once instead of after a round trip to the browser (20-25 ms in the benchmark).
 * @param {Permissions|undefined} permissions navigator.permissions
 */
export async function microphoneGranted(permissions) {
  if (!permissions) return false;
  let query = permissionQueries.get(permissions);
  if (!query) {
    // Firefox before 131 and others reject the 'microphone' name: then ask first, every time.
    query = Promise.resolve()
      .then(() => permissions.query({ name: /** @type {PermissionName} */ ('microphone') }))
      .catch(() => null);
    permissionQueries.set(permissions, query);
  }
  const status = await query;
  return status?.state === 'granted';
}

/**
 * Open the microphone (the permission prompt shows here when needed).
 * @param {MediaDevices|undefined} devices
 * @param {string} [deviceId] a remembered microphone: preferred, not required
 * @returns {Promise<MediaStreamTrack>}
 */
export async function openMicrophone(devices, deviceId) {
  if (!devices?.getUserMedia) throw new CallError('unsupported_browser', STEPS.microphone);
  let stream;
  try {
    stream = await devices.getUserMedia({ audio: { ...MIC_CONSTRAINTS, ...(deviceId ? { deviceId: { ideal: deviceId } } : {}) } });
  } catch (err) {
    // livekit's MediaDeviceFailure would do the same; it may not be loaded yet, so read the DOMException.
    throw new CallError(micErrorCode(err), STEPS.microphone, { cause: err });
  }
  return stream.getAudioTracks()[0];
}

/**
 * @typedef {{deviceId: string, label: string}} DeviceChoice
 * @typedef {{audioinput: DeviceChoice[], audiooutput: DeviceChoice[], canSelectSpeaker: boolean}} DeviceLists
 */

/**
 * Devices for the pickers. Labels are empty until the microphone was allowed once.
 * @param {MediaDevices|undefined} devices
 * @returns {Promise<DeviceLists>}
 */
export async function listDevices(devices) {
  const canSelectSpeaker = typeof globalThis.HTMLMediaElement !== 'undefined' && 'setSinkId' in globalThis.HTMLMediaElement.prototype;
  const all = (await devices?.enumerateDevices?.().catch(() => [])) ?? [];
  /** @param {string} kind */
  const pick = (kind) => all.filter((d) => d.kind === kind && d.deviceId).map((d) => ({ deviceId: d.deviceId, label: d.label }));
  return { audioinput: pick('audioinput'), audiooutput: canSelectSpeaker ? pick('audiooutput') : [], canSelectSpeaker };
}

/**
 * The call's microphone: opened before livekit-client is loaded (the prompt can show at once), then
 * published; mute and device choice before and during the call.
 */
export class Microphone {
  /** Devices picked for this call (remembered across calls of one session). */
  /** @type {{audioinput?: string, audiooutput?: string}} */
  preferred = { audioinput: undefined, audiooutput: undefined };
  muted = false;
  /** @type {MediaStreamTrack|null} */ #raw = null;
  /** @type {any} livekit LocalAudioTrack once published */ #track = null;
  #devices;
  #permissions;
  #onTrack;
  #level;
  #onLost;
  /** The capture ended and livekit-client could not restart it: the agent hears nothing. */
  lost = false;

  /**
   * @param {{mediaDevices?: MediaDevices, permissions?: Permissions, onTrack: (track: MediaStreamTrack) => void, level?: () => number, onLost?: (lost: boolean) => void}} options
   *   onTrack: a (new) microphone track is live, e.g. to measure it;
   *   level: its loudness now (0–1), so the pre-connect recording ends in a pause (preconnect-buffer.js);
   *   onLost: the microphone stopped mid-call (true) or is back (false)
   */
  constructor({ mediaDevices, permissions, onTrack, level = () => 0, onLost = () => {} }) {
    this.#devices = mediaDevices;
    this.#permissions = permissions;
    this.#onTrack = onTrack;
    this.#level = level;
    this.#onLost = onLost;
  }

  get isOpen() { return this.#raw !== null; }

  /** Whether no prompt will show (the Permissions API says granted). */
  granted() {
    return microphoneGranted(this.#permissions);
  }

  /** Open it (the prompt shows here). @param {() => boolean} cancelled @returns {Promise<boolean>} opened */
  async open(cancelled) {
    const track = await openMicrophone(this.#devices, this.preferred.audioinput);
    if (cancelled()) { // the call was cancelled while the prompt was open
      track?.stop();
      return false;
    }
    this.#raw = track;
    track.enabled = !this.muted;
    this.#onTrack(track);
    return true;
  }

  /** The livekit track of the open microphone, made once. @param {any} lk */
  #localTrack(lk) {
    if (!this.#track && this.#raw) {
      const MicTrack = bufferedTrackClass(lk);
      this.#track = new MicTrack(this.#raw, { ...MIC_CONSTRAINTS, deviceId: this.preferred.audioinput }, false);
      this.#track.levelNow = this.#level;
      this.#watch(lk, this.#track);
    }
    return this.#track;
  }

  /**
   * When the capture ends (the device unplugged, the permission revoked), livekit-client restarts the
   * track on another microphone, or, when it cannot, mutes it: the page then still said "In call" while
   * the agent heard nothing. Say it (`onLost`) until a restart brings it back.
   * @param {any} lk @param {any} track
   */
  #watch(lk, track) {
    const E = lk.TrackEvent;
    if (!E || typeof track.on !== 'function') return;
    let ended = false;
    track.on(E.Ended, () => { ended = true; });
    track.on(E.Muted, () => { if (ended) this.#setLost(true); });
    track.on(E.Restarted, () => {
      ended = false;
      if (track.mediaStreamTrack) this.#onTrack(track.mediaStreamTrack); // measure the new capture
      this.#setLost(false);
    });
  }

  /** @param {boolean} lost */
  #setLost(lost) {
    if (this.lost === lost) return;
    this.lost = lost;
    this.#onLost(lost);
  }

  /**
   * Try the lost microphone again (livekit-client restarts its capture when it unmutes it), e.g. after
   * the visitor plugged one in or allowed it again. @returns {Promise<boolean>} whether it is back
   */
  async retry() {
    if (!this.#track || !this.lost) return !this.lost;
    try {
      await this.#track.unmute();
      // Restarting means unmuting: a visitor who muted meanwhile stays muted (the agent heard them
      // while the button said muted).
      if (this.muted) await this.#track.mute();
    } catch {
      return false; // still no microphone, or still not allowed
    }
    return !this.lost;
  }

  /**
   * Record what the visitor says before the agent is in the room (livekit-client's pre-connect buffer):
   * published with the track, the recording goes to the agent on `lk.agent.pre-connect-audio-buffer`
   * once it is active, and its speech recogniser hears it before the live audio. Call it as soon as the
   * microphone is open and livekit-client is loaded, before connecting; again is harmless. Without
   * `MediaRecorder` (or when it throws) the call goes on without a buffer: only the words said before
   * the agent joined are lost.
   * @param {any} lk @returns {boolean} whether a buffer is recording
   */
  startPreConnectBuffer(lk) {
    const track = this.#localTrack(lk);
    if (!track) return false;
    if (track.hasPreConnectBuffer) return true;
    try {
      track.startPreConnectBuffer(); // logs a warning and records nothing without MediaRecorder
    } catch {
      try { track.dropPreConnectBuffer?.(); } catch { /* a half-made recorder: drop it */ }
    }
    return Boolean(track.hasPreConnectBuffer);
  }

  /**
   * Publish the open microphone in the Room with its pre-connect buffer, if one is recording; the live
   * audio is held until the recording ends (preconnect-buffer.js, "the seam").
   * @param {any} room @param {any} lk
   */
  async publish(room, lk) {
    const track = this.#localTrack(lk);
    if (!track) return;
    if (track.hasPreConnectBuffer) stopBufferOnceSubscribed(room, lk, track);
    await room.localParticipant.publishTrack(track, { source: lk.Track.Source.Microphone });
    await track.holdLiveAudio?.();
    if (this.muted) await track.mute();
  }

  /** Whether agentMayTalk() can ever wait in this call: a pre-connect recording is running (decided when
   * the Room connects, call-room.js). @returns {boolean} */
  mayHoldAgent() {
    return Boolean(this.#track?.hasPreConnectBuffer);
  }

  /** Resolves when the agent's audio may play: after the visitor's pause if they spoke before the agent
   * joined (preconnect-buffer.js, item 4), else at once. @returns {Promise<void>} */
  agentMayTalk() {
    return this.#track?.agentMayTalk?.() ?? Promise.resolve();
  }

  /** @param {boolean} muted @returns {Promise<boolean>} false when a lost microphone could not come back */
  async setMuted(muted) {
    this.muted = muted;
    if (this.#raw && !this.#track) this.#raw.enabled = !muted;
    try {
      await (muted ? this.#track?.mute() : this.#track?.unmute());
    } catch {
      // Unmuting a lost microphone restarts it, and that failed (none there, not allowed): still muted.
      this.muted = true;
      return false;
    }
    return true;
  }

  /**
   * @param {any} room the call's Room, or null before a call (the choice is kept for the next call)
   * @param {'audioinput'|'audiooutput'} kind
   * @param {string|undefined} deviceId
   * @returns {Promise<boolean>} whether the device is now in use (rejects with the device error)
   */
  async switchDevice(room, kind, deviceId) {
    this.preferred[kind] = deviceId || undefined;
    if (!room) return true;
    const ok = await room.switchActiveDevice(kind, deviceId || 'default', Boolean(deviceId));
    // The mic restarted on a new MediaStreamTrack: measure that one.
    if (kind === 'audioinput' && this.#track?.mediaStreamTrack) this.#onTrack(this.#track.mediaStreamTrack);
    return ok;
  }

  /** The device ids in use (or preferred for the next call). @param {any} room */
  activeDevices(room) {
    return {
      audioinput: room?.getActiveDevice('audioinput') ?? this.preferred.audioinput,
      audiooutput: room?.getActiveDevice('audiooutput') ?? this.preferred.audiooutput,
    };
  }

  list() {
    return listDevices(this.#devices);
  }

  release() {
    this.lost = false;
    try { this.#track?.dropPreConnectBuffer?.(); } catch { /* nothing was recording */ }
    this.#track?.stop();
    this.#raw?.stop();
    this.#track = null;
    this.#raw = null;
  }
}
