// The demo editor keeps what the rep types in this tab (sessionStorage) until it is saved, so nothing
// is lost when saving does not go through: the session ended (the sign-in page leads back here), the
// form expired (its page links back here), or the rep left the page. Back on the page, the editor
// offers the unsaved changes. A chosen logo file cannot be kept; everything else is.
import { debounce, draftKey, keptInDraft, parseDraft, rowCount, sameFields, valuesByName } from './demo-editor-logic.js';

const SAVE_DELAY_MS = 300;

/**
 * This visit's draft id, posted with a save: the server names the drafts it saved on every editor
 * page (webcall/saved_drafts.py), so a saved draft is never offered back, even when the page the save
 * landed on never ran this script. 12 random bytes in hex (getRandomValues works over plain HTTP too).
 */
function visitId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** sessionStorage, or null where the browser refuses it (storage off, some private modes). */
function tabStorage() {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

/**
 * The form's fields a draft keeps, in order.
 * @param {HTMLFormElement} form
 * @returns {(HTMLInputElement|HTMLTextAreaElement|HTMLSelectElement)[]}
 */
function fieldsOf(form) {
  /** @type {(HTMLInputElement|HTMLTextAreaElement|HTMLSelectElement)[]} */
  const fields = [];
  for (const el of form.elements) {
    const field = el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement;
    if (field && keptInDraft(el)) fields.push(el);
  }
  return fields;
}

/** @param {HTMLFormElement} form @returns {[string, string][]} */
function current(form) {
  const ticked = (/** @type {Element} */ el) => !(el instanceof HTMLInputElement && el.type === 'checkbox') || el.checked;
  return fieldsOf(form).filter(ticked).map((el) => [el.name, el.value]);
}

/**
 * A table's column names, the inputs of its first row: ['var_name', 'var_max'].
 * @param {Element|null} table @returns {string[]}
 */
function columnsOf(table) {
  return [...(table?.querySelector('tr[data-row]')?.querySelectorAll('input') ?? [])].map((input) => /** @type {HTMLInputElement} */ (input).name);
}

/** Each table's column names: [['var_name', 'var_max'], …]. @param {HTMLFormElement} form */
function rowColumns(form) {
  return [...form.querySelectorAll('table[data-rows]')].map(columnsOf);
}

/**
 * Put the draft's values into the form: a table gets the rows it had, a box its tick.
 * @param {HTMLFormElement} form @param {[string, string][]} fields
 */
function restore(form, fields) {
  const wanted = valuesByName(fields);
  for (const button of form.querySelectorAll('button[data-add-row]')) {
    const body = form.querySelector(`table[data-rows="${/** @type {HTMLElement} */ (button).dataset.addRow}"] tbody`);
    const rows = rowCount(wanted, columnsOf(body));
    while (body && body.querySelectorAll('tr[data-row]').length < rows) /** @type {HTMLButtonElement} */ (button).click();
  }
  /** @type {Map<string, number>} */
  const seen = new Map();
  for (const el of fieldsOf(form)) {
    const values = wanted.get(el.name) ?? [];
    if (el instanceof HTMLInputElement && el.type === 'checkbox') {
      el.checked = values.includes(el.value);
      continue;
    }
    const index = seen.get(el.name) ?? 0;
    seen.set(el.name, index + 1);
    el.value = values[index] ?? '';
  }
  // The preview follows a change of any field (demo-editor.js).
  fieldsOf(form)[0]?.dispatchEvent(new Event('change', { bubbles: true }));
}

/**
 * Keep the form's draft in this tab and offer it back on the next visit of the page.
 * @param {HTMLFormElement} form   carries data-draft-owner (the account), data-saved-drafts (the ids of
 *   the drafts saved), [data-draft-id] (the field a save posts this visit's id in) and data-draft-shown
 *   on a page that shows the draft itself
 * @param {HTMLElement|null} offer   [data-draft-offer] with [data-draft-when], [data-draft-restore], [data-draft-discard]
 */
export function keepDraft(form, offer) {
  const store = tabStorage();
  if (!store) return;
  const key = draftKey(form.dataset.draftOwner ?? '', location.pathname);
  let id = visitId();
  // Back into this page from the browser's cache after a save: what is typed now is a new draft.
  addEventListener('pageshow', (event) => {
    if (event.persisted) id = visitId();
  });
  const write = () => {
    try {
      store.setItem(key, JSON.stringify({ at: Date.now(), id, fields: current(form) }));
    } catch {
      // Full or refused: the draft is a convenience, the form works without it.
    }
  };
  // Saved from this page's address, here or in an earlier visit: done with (a new demo's save lands
  // on the demo's own page, so "New demo" learns it on its next visit).
  const saved = (form.dataset.savedDrafts ?? '').split(' ').filter(Boolean);
  const kept = parseDraft(store.getItem(key))?.id;
  if (kept && saved.includes(kept)) store.removeItem(key);
  // A page that answers a save made on an out-of-date form shows the rep's values with the change
  // saved meanwhile merged in: that is the draft now, not something to offer back.
  if (form.dataset.draftShown !== undefined) write();
  const draft = parseDraft(store.getItem(key));
  if (draft && offer && !sameFields(draft.fields, current(form), rowColumns(form))) {
    const when = offer.querySelector('[data-draft-when]');
    if (when) when.textContent = new Date(draft.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const done = () => {
      offer.hidden = true;
      /** @type {HTMLElement|undefined} */ (fieldsOf(form)[0])?.focus();
    };
    offer.querySelector('[data-draft-restore]')?.addEventListener('click', () => { restore(form, draft.fields); done(); });
    offer.querySelector('[data-draft-discard]')?.addEventListener('click', () => { store.removeItem(key); done(); });
    offer.hidden = false;
  }
  const later = debounce(write, SAVE_DELAY_MS);
  form.addEventListener('input', () => later());
  form.addEventListener('change', () => later());
  // Typed just before the page is left (a link, the tab hidden on a phone): kept all the same.
  addEventListener('pagehide', () => later.flush());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') later.flush();
  });
  form.addEventListener('submit', (event) => {
    if (/** @type {SubmitEvent} */ (event).submitter?.hasAttribute('data-preview-button')) return;
    later.cancel();
    write();
    const posted = form.querySelector('[data-draft-id]');
    if (posted instanceof HTMLInputElement) posted.value = id;
  });
}
