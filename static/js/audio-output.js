// The agent's voice and the level meters: the call's AudioContext, the media elements that play the
// agent, and the mic/agent meters. Audio is unlocked inside the click (Safari, autoplay rules).

import { createLevelMeter } from './audio-level.js';
import { CallEvent } from './call-events.js';

/**
 * @typedef {import('./call-events.js').CallEventDetails} CallEventDetails
 * @typedef {<K extends keyof CallEventDetails>(type: K, detail: CallEventDetails[K]) => void} Emit
 */

export class AudioOutput {
  /** @type {AudioContext|null} */
  #context = null;
  /** A media element started inside the click; it later plays the agent (see unlock()). */
  /** @type {HTMLAudioElement|null} */
  #primed = null;
  /** @type {Map<any, HTMLMediaElement>} agent track → the element playing it */
  #elements = new Map();
  /** @type {{mic: ReturnType<typeof createLevelMeter>|null, agent: ReturnType<typeof createLevelMeter>|null}} */
  #meters = { mic: null, agent: null };
  #AudioContext;
  #emit;

  /** @param {{AudioContext?: typeof AudioContext, emit: Emit}} options */
  constructor({ AudioContext, emit }) {
    this.#AudioContext = AudioContext;
    this.#emit = emit;
  }

  /**
   * Call synchronously inside the click, before any await. Creates and resumes the AudioContext (it then
   * runs, for the meters and anything played through Web Audio), and does what room.startAudio() does for
   * attached elements before the Room exists: play() an element now, inside the gesture (WebKit then lets
   * that element play), to hand it to the agent's first track (track.attach(element) swaps its stream in).
   */
  unlock() {
    if (this.#AudioContext) {
      try {
        this.#context ??= new this.#AudioContext();
        this.#context.resume().catch(() => { /* still suspended: the audio-blocked banner offers a tap */ });
      } catch {
        this.#context = null; // no Web Audio: the call works without meters
      }
    }
    const element = globalThis.document?.createElement?.('audio');
    if (!element) return;
    try {
      // A silent stream gives play() something to play.
      const silence = this.#context?.createMediaStreamDestination?.();
      if (silence) element.srcObject = silence.stream;
    } catch { /* play() alone still counts as started by the person */ }
    element.play?.()?.catch(() => { /* blocked anyway: the audio-blocked banner offers a tap */ });
    this.#primed = element;
  }

  /** Play an agent track (again after a reconnect: livekit-client's full reconnect subscribes it anew). */
  attach(track) {
    if (this.#elements.has(track)) return;
    const element = this.#primed ? track.attach(this.#primed) : track.attach();
    this.#primed = null;
    this.#elements.set(track, element);
    this.#emit(CallEvent.AgentAudio, { element, attached: true });
    if (track.mediaStreamTrack) this.startMeter('agent', track.mediaStreamTrack);
  }

  detach(track) {
    const element = this.#elements.get(track);
    if (!element) return;
    track.detach(element);
    element.remove?.();
    this.#elements.delete(track);
    this.stopMeter('agent');
    this.#emit(CallEvent.AgentAudio, { element, attached: false });
  }

  /** Any agent track being played (diagnostics). */
  firstTrack() {
    return [...this.#elements.keys()][0] ?? null;
  }

  /** @param {'mic'|'agent'} which @param {MediaStreamTrack} mediaStreamTrack */
  startMeter(which, mediaStreamTrack) {
    this.stopMeter(which);
    if (!this.#AudioContext || !mediaStreamTrack) return;
    try {
      this.#context ??= new this.#AudioContext();
      const type = which === 'mic' ? CallEvent.MicLevel : CallEvent.AgentLevel;
      this.#meters[which] = createLevelMeter(mediaStreamTrack, {
        audioContext: this.#context,
        onLevel: (sample) => this.#emit(type, sample),
      });
    } catch {
      this.#meters[which] = null; // a meter is a nicety; the call works without it
    }
  }

  /** @param {'mic'|'agent'} which */
  stopMeter(which) {
    this.#meters[which]?.stop();
    this.#meters[which] = null;
  }

  /** The level now (0–1), read from the meter's analyser; 0 without a meter. @param {'mic'|'agent'} which */
  level(which) {
    return this.#meters[which]?.read() ?? 0;
  }

  /** Stop everything: meters, the context, every agent element, an unused primed element. */
  release() {
    this.stopMeter('mic');
    this.stopMeter('agent');
    this.#context?.close().catch(() => {});
    this.#context = null;
    for (const track of [...this.#elements.keys()]) this.detach(track);
    if (this.#primed) {
      this.#primed.pause?.();
      this.#primed.srcObject = null;
      this.#primed = null;
    }
  }
}
