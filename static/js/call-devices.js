// The session's microphone and speaker as its public methods mean them: mute (announced as `muted`),
// the pickers' device lists and the ids in use, and switching, in the running call or for the next one,
// where a failed switch is a non-fatal `error`. microphone.js does the work with the browser.

import { CallEvent } from './call-events.js';
import { STEPS, micErrorCode } from './errors.js';

/**
 * @typedef {object} CallDevicesHooks
 * @property {import('./microphone.js').Microphone} mic
 * @property {() => any} room            the call's Room, or null
 * @property {() => boolean} active      a call is running (a switch then applies to its Room)
 * @property {import('./call-connection.js').Emit} emit
 */

export class CallDevices {
  #hooks;

  /** @param {CallDevicesHooks} hooks */
  constructor(hooks) {
    this.#hooks = hooks;
  }

  /** @param {boolean} muted */
  async setMuted(muted) {
    const { mic, emit } = this.#hooks;
    const done = mic.setMuted(Boolean(muted));
    emit(CallEvent.Muted, { muted: mic.muted }); // at once, for the button
    if (!(await done)) emit(CallEvent.Muted, { muted: mic.muted }); // the microphone could not come back
  }

  /**
   * @param {'audioinput'|'audiooutput'} kind @param {string|undefined} deviceId
   * @returns {Promise<boolean>} whether the device is now in use
   */
  switch(kind, deviceId) {
    const { mic, emit } = this.#hooks;
    const room = this.#hooks.active() ? this.#hooks.room() : null;
    return mic.switchDevice(room, kind, deviceId).catch((/** @type {any} */ err) => {
      emit(CallEvent.Error, { code: micErrorCode(err), message: String(err?.message ?? err), step: STEPS.inCall, fatal: false });
      return false;
    });
  }

  list() {
    return this.#hooks.mic.list();
  }

  active() {
    return this.#hooks.mic.activeDevices(this.#hooks.room());
  }
}
