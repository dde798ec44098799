// The microphone and speaker chosen in <itellico-call>: remembered in localStorage across page loads
// (device-prefs.js), applied to every new call, changed from the pickers (device-picker.js draws them).

import { storage } from './browser-storage.js';
import { loadDevicePrefs, saveDevicePref } from './device-prefs.js';
import { fillDevicePickers } from './device-picker.js';

/** @typedef {import('./call-session.js').CallSession} CallSession */

export class DeviceChoice {
  /** @type {{audioinput?: string, audiooutput?: string}} */
  preferred = { audioinput: undefined, audiooutput: undefined, ...loadDevicePrefs(storage()) };
  #parts;
  #t;

  /** @param {import('./element-template.js').ElementParts} parts @param {(key: string) => string} t */
  constructor(parts, t) {
    this.#parts = parts;
    this.#t = t;
  }

  /**
   * A new call: the microphone preference is an `ideal` constraint (a missing device falls back to the
   * default); the speaker is applied once the call is up and the device is known to be present (fill).
   * Synchronous: it runs inside the click, before session.start().
   * @param {CallSession} session
   */
  applyTo(session) {
    if (this.preferred.audioinput) session.switchDevice('audioinput', this.preferred.audioinput);
  }

  /** A picker changed: remember the choice and use it now. @param {Event} event @param {CallSession|null} session */
  onChange(event, session) {
    const select = /** @type {HTMLSelectElement|null} */ (/** @type {Element} */ (event.target).closest?.('select[data-device]'));
    if (!select) return;
    const kind = /** @type {'audioinput'|'audiooutput'} */ (select.dataset.device);
    this.preferred[kind] = select.value || undefined;
    saveDevicePref(storage(), kind, select.value);
    session?.switchDevice(kind, select.value);
  }

  /**
   * Fill the pickers with the devices present now (voice calls only: text mode has no devices).
   * @param {CallSession|null} session @param {'voice'|'text'} mode the mode attribute
   */
  fill(session, mode) {
    if (!session || mode !== 'voice') return;
    fillDevicePickers(this.#parts, session, this.preferred, this.#t);
  }
}
