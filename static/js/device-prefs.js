// Remembering the microphone and speaker a person picked, across page loads (localStorage).
// Storage is injectable (tests) and may be unavailable (private mode, sandboxed iframes): then nothing is kept.

export const DEVICES_KEY = 'itellico-call:devices';
const KINDS = ['audioinput', 'audiooutput'];

/** @param {Storage|undefined} storage @returns {{audioinput?: string, audiooutput?: string}} */
export function loadDevicePrefs(storage) {
  try {
    const parsed = JSON.parse(storage?.getItem(DEVICES_KEY) ?? '{}');
    const prefs = {};
    for (const kind of KINDS) if (typeof parsed?.[kind] === 'string' && parsed[kind]) prefs[kind] = parsed[kind];
    return prefs;
  } catch {
    return {};
  }
}

/** Store one choice; an empty id forgets it (back to the system default). */
export function saveDevicePref(storage, kind, deviceId) {
  if (!KINDS.includes(kind)) return false;
  try {
    const prefs = loadDevicePrefs(storage);
    if (deviceId) prefs[kind] = String(deviceId);
    else delete prefs[kind];
    storage?.setItem(DEVICES_KEY, JSON.stringify(prefs));
    return true;
  } catch {
    return false;
  }
}

/** The remembered device if it is plugged in now, else undefined (the browser default is used). */
export function availablePref(prefs, kind, devices) {
  const id = prefs?.[kind];
  return id && devices.some((d) => d.deviceId === id) ? id : undefined;
}

