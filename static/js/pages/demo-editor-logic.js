// The demo editor's pure logic (no DOM), tested in tests/js/demo-editor.test.mjs.

export const PREVIEW_DELAY_MS = 400;

/**
 * `fn` called once, `wait` ms after the last of a burst of calls (the preview refreshes when the
 * rep pauses typing, not on every key).
 * @template {unknown[]} A
 * @param {(...args: A) => void} fn
 * @param {number} wait
 * @param {{ setTimeout: (cb: () => void, ms: number) => unknown, clearTimeout: (id: unknown) => void }} [timers]
 * @returns {((...args: A) => void) & { cancel: () => void, flush: () => void }}
 */
export function debounce(fn, wait, timers = { setTimeout: (cb, ms) => setTimeout(cb, ms), clearTimeout: (id) => clearTimeout(/** @type {any} */ (id)) }) {
  /** @type {unknown} */
  let pending = null;
  /** @type {A | null} */
  let last = null;
  const debounced = (/** @type {A} */ ...args) => {
    if (pending !== null) timers.clearTimeout(pending);
    last = args;
    pending = timers.setTimeout(() => {
      pending = null;
      fn(...args);
    }, wait);
  };
  debounced.cancel = () => {
    if (pending !== null) timers.clearTimeout(pending);
    pending = null;
  };
  // The pending call now (a page being left has no time to wait for it); nothing if none is pending.
  debounced.flush = () => {
    if (pending === null || last === null) return;
    debounced.cancel();
    fn(...last);
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

// ── the draft kept in the tab (editor-draft.js) ─────────────────────────────────

/** Never kept: hidden fields (the CSRF token: a new page has its own; the stored logo and slug), a
 * chosen file (a browser cannot put one back) and buttons. A hidden field marked data-draft-keep is
 * kept: the form's `base` (what it was opened on), so that a restored draft saved later is checked
 * against the changes saved since (webcall/demo_merge.py). */
const NOT_KEPT = new Set(['hidden', 'file', 'submit', 'button', 'reset']);

/**
 * Whether a draft keeps this form control's value.
 * @param {{ name?: string, type?: string, disabled?: boolean, dataset?: { draftKeep?: string } }} control
 */
export function keptInDraft(control) {
  const kept = !NOT_KEPT.has(control.type ?? '') || control.dataset?.draftKeep !== undefined;
  return Boolean(control.name) && !control.disabled && kept;
}

/**
 * Whether two drafts say the same. A table's rows (`rows`: each table's column names) compare by
 * their content: a blank row is no row and a value's outer spaces are none, as the server reads them
 * (webcall/demo_form.py, which shows a refused form again with its filled rows and blank ones to add).
 * @param {[string, string][]} a @param {[string, string][]} b @param {string[][]} [rows]
 */
export function sameFields(a, b, rows = []) {
  return JSON.stringify(comparable(a, rows)) === JSON.stringify(comparable(b, rows));
}

/** @param {[string, string][]} fields @param {string[][]} rows */
function comparable(fields, rows) {
  const inRows = new Set(rows.flat());
  const byName = valuesByName(fields);
  const tables = rows.map((columns) => {
    const all = Array.from({ length: rowCount(byName, columns) }, (_, i) => columns.map((name) => (byName.get(name)?.[i] ?? '').trim()));
    return all.filter((row) => row.some(Boolean));
  });
  return [fields.filter(([name]) => !inRows.has(name)), tables];
}

/**
 * How many rows a table's columns hold: the longest column's values.
 * @param {Map<string, string[]>} byName  valuesByName's result @param {string[]} columns
 */
export function rowCount(byName, columns) {
  return Math.max(0, ...columns.map((name) => byName.get(name)?.length ?? 0));
}

/**
 * A field's values in order (a table's rows share names).
 * @param {[string, string][]} fields
 * @returns {Map<string, string[]>}
 */
export function valuesByName(fields) {
  /** @type {Map<string, string[]>} */
  const byName = new Map();
  for (const [name, value] of fields) byName.set(name, [...(byName.get(name) ?? []), value]);
  return byName;
}

/**
 * Where a page's draft is kept: per signed-in account (a shared browser tab never offers one rep's
 * draft to another) and per editor page.
 * @param {string} owner @param {string} path
 */
export const draftKey = (owner, path) => `webcall.editor-draft:${owner}:${path}`;

/**
 * A stored draft, or null when there is none or it is not one of ours.
 * @param {string|null} raw
 * @returns {{at: number, id?: string, fields: [string, string][]}|null}  `id`: the editor visit's
 *   (editor-draft.js); a draft kept before drafts had one has none
 */
export function parseDraft(raw) {
  try {
    const draft = JSON.parse(raw ?? 'null');
    const pairs = Array.isArray(draft?.fields) && draft.fields.every(
      (/** @type {unknown} */ f) => Array.isArray(f) && f.length === 2 && f.every((x) => typeof x === 'string'),
    );
    return pairs && typeof draft.at === 'number' ? draft : null;
  } catch {
    return null;
  }
}

/**
 * Why a chosen logo file is refused before it is sent, or null: over the upload limit it would fail
 * the whole form (413), the preview included, so it never leaves the browser. The server checks the
 * rest (type, content, its own copy of the limit: webcall/logos.py).
 * @param {{name: string, size: number}} file @param {number} maxBytes
 * @returns {string|null}
 */
export function logoTooLarge(file, maxBytes) {
  if (!(maxBytes > 0) || file.size <= maxBytes) return null;
  const kb = (/** @type {number} */ bytes) => Math.round(bytes / 1024);
  return `${file.name} is ${kb(file.size)} KB: a logo may be at most ${kb(maxBytes)} KB. Pick a smaller file.`;
}
