// Remembering that a person accepted the demo's consent text, per text: if the text changes,
// they are asked again. Storage is injectable (tests) and may be unavailable (private mode, iframes).

/** FNV-1a, 32 bit: a stable short id for a text. Not for security; it only names a storage key. */
export function hashText(text) {
  let hash = 0x811c9dc5;
  for (const ch of String(text)) {
    hash ^= ch.codePointAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

export const consentKey = (text) => `itellico-call:consent:${hashText(text)}`;

/** @param {string} text @param {Storage|undefined} storage */
export function hasConsented(text, storage) {
  if (!text) return true; // no consent text configured: nothing to accept
  try {
    return storage?.getItem(consentKey(text)) != null;
  } catch {
    return false;
  }
}

/** @param {string} text @param {Storage|undefined} storage @param {() => number} [now] */
export function rememberConsent(text, storage, now = Date.now) {
  try {
    storage?.setItem(consentKey(text), new Date(now()).toISOString());
    return true;
  } catch {
    return false; // storage blocked: we ask again next time, which is the safe side
  }
}
