// The demo editor's pure logic (no DOM), tested in tests/js/demo-editor.test.mjs.

export const PREVIEW_DELAY_MS = 400;

/**
 * `fn` called once, `wait` ms after the last of a burst of calls (the preview refreshes when the
 * rep pauses typing, not on every key).
 * @template {unknown[]} A
 * @param {(...args: A) => void} fn
 * @param {number} wait
 * @param {{ setTimeout: (cb: () => void, ms: number) => unknown, clearTimeout: (id: unknown) => void }} [timers]
 * @returns {((...args: A) => void) & { cancel: () => void }}
 */
export function debounce(fn, wait, timers = { setTimeout: (cb, ms) => setTimeout(cb, ms), clearTimeout: (id) => clearTimeout(/** @type {any} */ (id)) }) {
  /** @type {unknown} */
  let pending = null;
  const debounced = (/** @type {A} */ ...args) => {
    if (pending !== null) timers.clearTimeout(pending);
    pending = timers.setTimeout(() => {
      pending = null;
      fn(...args);
    }, wait);
  };
  debounced.cancel = () => {
    if (pending !== null) timers.clearTimeout(pending);
    pending = null;
  };
  return debounced;
}

/**
 * Whether a change to this control should redraw the preview: every named field of the form does,
 * except the CSRF token and the submit buttons (they change nothing the page shows).
 * @param {{ name?: string, type?: string }} control
 */
export function affectsPreview(control) {
  if (!control || !control.name) return false;
  if (control.name === 'csrf') return false;
  return !['submit', 'button', 'reset'].includes(control.type ?? '');
}

/**
 * The accessible label of a cloned row's input: "Name 4" after "Name 3".
 * @param {string} label
 * @param {number} index 1-based row number
 */
export function rowLabel(label, index) {
  return `${label.replace(/\s+\d+$/, '')} ${index}`;
}
