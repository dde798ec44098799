// The demo editor: the preview frame follows the form as the rep types (debounced), variable
// tables get an "Add a row" button, and what is typed is kept in the tab until it is saved
// (editor-draft.js). Without this module the form still works: a few empty rows, and the Preview
// button posts the form into the frame.
import { PREVIEW_DELAY_MS, affectsPreview, debounce, logoTooLarge, rowLabel } from './demo-editor-logic.js';
import { keepDraft } from './editor-draft.js';

const form = /** @type {HTMLFormElement|null} */ (document.getElementById('demo-form'));
const previewButton = /** @type {HTMLButtonElement|null} */ (form?.querySelector('[data-preview-button]'));
const frame = /** @type {HTMLIFrameElement|null} */ (document.getElementById('preview'));
const status = document.querySelector('[data-preview-status]');

function refresh() {
  if (!form || !previewButton) return;
  if (status) status.textContent = 'updating…';
  // Posts the whole form (a chosen logo file too) into the frame, as the Preview button does.
  form.requestSubmit(previewButton);
}

const later = debounce(refresh, PREVIEW_DELAY_MS);

/**
 * Pressing Preview shows the preview: on a phone the frame sits under the whole form (about 2600 px
 * down at 390 px wide), so the button seemed to do nothing. Scrolled to only when less than half of
 * it can be seen (beside the form on a wide screen it already is); the frame is what Preview draws.
 * @param {HTMLElement} preview
 */
function showPreview(preview) {
  const box = preview.getBoundingClientRect();
  const seen = Math.min(box.bottom, window.innerHeight) - Math.max(box.top, 0);
  if (seen >= Math.min(box.height, window.innerHeight) / 2) return;
  const still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  preview.scrollIntoView({ block: 'start', behavior: still ? 'auto' : 'smooth' });
}

if (form && previewButton && frame) {
  form.addEventListener('input', (event) => {
    if (affectsPreview(/** @type {HTMLInputElement} */ (event.target))) later();
  });
  form.addEventListener('change', (event) => {
    if (affectsPreview(/** @type {HTMLInputElement} */ (event.target))) later();
  });
  form.addEventListener('submit', (event) => {
    // A real save: no preview may race it.
    if (/** @type {SubmitEvent} */ (event).submitter !== previewButton) later.cancel();
  });
  // A press (mouse, touch or keyboard); the refreshes while typing submit without one.
  previewButton.addEventListener('click', () => showPreview(frame.closest('section') ?? frame));
  frame.addEventListener('load', () => {
    if (status) status.textContent = 'unsaved settings · calls are off';
    frame.dataset.loadedAt = String(Date.now());
  });
  refresh();
}

for (const button of document.querySelectorAll('button[data-add-row]')) {
  if (!(button instanceof HTMLButtonElement)) continue;
  button.hidden = false;
  button.addEventListener('click', () => {
    const body = document.querySelector(`table[data-rows="${button.dataset.addRow}"] tbody`);
    const last = body?.querySelector('tr[data-row]:last-of-type');
    if (!body || !last) return;
    const row = /** @type {HTMLTableRowElement} */ (last.cloneNode(true));
    const index = body.querySelectorAll('tr[data-row]').length + 1;
    for (const input of row.querySelectorAll('input')) {
      input.value = '';
      input.removeAttribute('aria-invalid');
      input.setAttribute('aria-label', rowLabel(input.getAttribute('aria-label') ?? '', index));
    }
    body.append(row);
    row.querySelector('input')?.focus();
  });
}

/**
 * A logo file over the limit is taken out of the form at once, and the field says why (as the server's
 * mistakes do: role=alert, described-by, aria-invalid). Listened to on the input, so it runs before the
 * form's change handler schedules the preview.
 * @param {HTMLInputElement} input
 */
function checkLogoSize(input) {
  const field = input.closest('[data-field]');
  const name = field?.getAttribute('data-field') ?? '';
  const file = input.files?.[0];
  const problem = file ? logoTooLarge(file, Number(input.dataset.maxBytes)) : null;
  field?.querySelector(`[data-error-for="${name}"]`)?.remove(); // about a file no longer chosen
  const id = `f-${name.replaceAll('.', '-')}-error`; // the template's ids (fid in demo_edit.html)
  const described = (input.getAttribute('aria-describedby') ?? '').split(' ').filter((d) => d && d !== id);
  if (problem) {
    input.value = '';
    const error = document.createElement('p');
    Object.assign(error, { className: 'form-error', id, textContent: problem });
    error.setAttribute('role', 'alert');
    error.dataset.errorFor = name;
    field?.append(error);
    described.push(id);
    input.setAttribute('aria-invalid', 'true');
  } else {
    input.removeAttribute('aria-invalid');
  }
  input.setAttribute('aria-describedby', described.join(' '));
}

const logoFile = /** @type {HTMLInputElement|null} */ (form?.querySelector('input[type=file][data-max-bytes]'));
logoFile?.addEventListener('change', () => checkLogoSize(logoFile));

// After the rows' buttons: restoring a draft adds the rows it had.
if (form) keepDraft(form, document.querySelector('[data-draft-offer]'));
