// The microphone and speaker pickers under "Settings" during a voice call. The choice is remembered
// (device-prefs.js) and applied to the running call and every later one.

import { availablePref } from './device-prefs.js';

/**
 * @typedef {import('./call-session.js').CallSession} CallSession
 * @typedef {{audioinput?: string, audiooutput?: string}} DevicePrefs
 */

/**
 * Fill both pickers with the devices present now, selecting the preferred (or active) one, and switch the
 * call to a remembered speaker if it is plugged in (setSinkId needs the call's audio elements).
 * @param {{root: ShadowRoot, speakerField: HTMLElement}} parts
 * @param {CallSession} session
 * @param {DevicePrefs} preferred
 * @param {(key: string) => string} t
 */
export async function fillDevicePickers(parts, session, preferred, t) {
  const devices = await session.listDevices();
  const active = session.activeDevices();
  parts.speakerField.hidden = !devices.canSelectSpeaker || devices.audiooutput.length === 0;
  for (const kind of /** @type {const} */ (['audioinput', 'audiooutput'])) {
    const select = /** @type {HTMLSelectElement} */ (parts.root.querySelector(`select[data-device="${kind}"]`));
    const options = devices[kind].map((d, i) => {
      const option = new Option(d.label || `${t(kind === 'audioinput' ? 'label.mic' : 'label.speaker')} ${i + 1}`, d.deviceId);
      if (d.deviceId === 'default') option.textContent = d.label || t('label.defaultDevice');
      return option;
    });
    select.replaceChildren(...options);
    const current = preferred[kind] ?? active[kind];
    if (current && devices[kind].some((d) => d.deviceId === current)) select.value = current;
  }
  const speaker = availablePref(preferred, 'audiooutput', devices.audiooutput);
  if (speaker && speaker !== active.audiooutput) session.switchDevice('audiooutput', speaker);
}
