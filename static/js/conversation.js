// The conversation of one call as the session reports it: both sides' transcription streams, typed
// messages sent to the agent over `lk.chat` (the agent does not echo them, so the line is added here;
// each is sent once the agent can read it, in the order typed: agent-ears.js), and every line made
// final when the call ends. Each change is emitted as CallEvent.Transcript.

import { CallEvent } from './call-events.js';
import { STEPS } from './errors.js';
import { Transcript } from './transcript.js';

/** @typedef {import('./call-connection.js').Emit} Emit */

/** The longest typed message: the message box's maxlength, the iframe bridge's and sendText()'s limit. */
export const MAX_MESSAGE_CHARS = 2000;

export class Conversation {
  #transcript;
  #emit;
  /** The typed messages still to go, one after the other. @type {Promise<unknown>} */
  #sending = Promise.resolve();

  /** @param {{now: () => number, emit: Emit}} options */
  constructor({ now, emit }) {
    this.#transcript = new Transcript({ now });
    this.#emit = emit;
  }

  get entries() { return this.#transcript.entries; }

  clear() {
    this.#transcript.clear();
    this.#sending = Promise.resolve(); // an earlier call's held message does not hold this call's
  }

  /** A piece of an `lk.transcription` stream. @param {import('./transcript.js').StreamUpdate} update */
  applyStream(update) {
    this.#changed(this.#transcript.applyStream(update));
  }

  /**
   * Add the typed line and send it once `agentCanRead` resolves, after the messages typed before it;
   * a failed send is a non-fatal `call_dropped` error. Nothing goes once the Room is disconnected.
   * @param {any} room @param {string} message trimmed, not empty
   * @param {Promise<void>} [agentCanRead] resolves when the agent can read it (never rejects)
   * @returns {Promise<boolean>} whether it was sent
   */
  async send(room, message, agentCanRead = Promise.resolve()) {
    this.#changed(this.#transcript.addTyped(message));
    const turn = this.#sending.then(() => agentCanRead).then(() => {
      if (room.state === 'disconnected') return false; // hung up meanwhile
      return room.localParticipant.sendText(message, { topic: 'lk.chat' }).then(() => true);
    });
    this.#sending = turn.catch(() => {});
    try {
      return await turn;
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
