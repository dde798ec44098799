// The conversation of one call as the session reports it: both sides' transcription streams, typed
// messages sent to the agent over `lk.chat` (the agent does not echo them, so the line is added here),
// and every line made final when the call ends. Each change is emitted as CallEvent.Transcript.

import { CallEvent } from './call-events.js';
import { STEPS } from './errors.js';
import { Transcript } from './transcript.js';

/** @typedef {import('./call-connection.js').Emit} Emit */

export class Conversation {
  #transcript;
  #emit;

  /** @param {{now: () => number, emit: Emit}} options */
  constructor({ now, emit }) {
    this.#transcript = new Transcript({ now });
    this.#emit = emit;
  }

  get entries() { return this.#transcript.entries; }

  clear() {
    this.#transcript.clear();
  }

  /** A piece of an `lk.transcription` stream. @param {import('./transcript.js').StreamUpdate} update */
  applyStream(update) {
    this.#changed(this.#transcript.applyStream(update));
  }

  /**
   * Add the typed line and send it; a failed send is a non-fatal `call_dropped` error.
   * @param {any} room @param {string} message trimmed, not empty
   * @returns {Promise<boolean>} whether it was sent
   */
  async send(room, message) {
    this.#changed(this.#transcript.addTyped(message));
    try {
      await room.localParticipant.sendText(message, { topic: 'lk.chat' });
      return true;
    } catch (err) {
      this.#emit(CallEvent.Error, { code: 'call_dropped', message: String(err?.message ?? err), step: STEPS.inCall, fatal: false });
      return false;
    }
  }

  /** The call is over: lines still streaming are final as they are. */
  finalizeAll() {
    for (const entry of this.#transcript.finalizeAll()) this.#changed(entry);
  }

  /** @param {import('./transcript.js').TranscriptEntry} entry */
  #changed(entry) {
    this.#emit(CallEvent.Transcript, { entry, entries: this.#transcript.entries });
  }
}
