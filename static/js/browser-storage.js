// localStorage where the page may use it: the consent and the chosen devices are remembered there.
// A sandboxed iframe or blocked cookies make even reading `localStorage` throw; then nothing is remembered.

/** @returns {Storage|undefined} */
export function storage() {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined; // storage blocked in this context (sandboxed iframe)
  }
}
