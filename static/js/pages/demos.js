// Sales index: copy buttons. Each button names the read-only input whose value it copies.
const label = (button, text) => {
  const original = button.dataset.label ?? button.textContent;
  button.dataset.label = original;
  button.textContent = text;
  setTimeout(() => { button.textContent = original; }, 1600);
};

document.addEventListener('click', async (event) => {
  const button = /** @type {HTMLButtonElement|null} */ (/** @type {Element} */ (event.target).closest('button[data-copy]'));
  if (!button) return;
  const source = /** @type {HTMLInputElement|null} */ (document.getElementById(button.dataset.copy));
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.value);
    label(button, 'Copied');
  } catch {
    // No clipboard permission (plain http, old browser): select it so Ctrl-C works.
    source.focus();
    source.select();
    label(button, 'Press Ctrl-C');
  }
});

for (const input of document.querySelectorAll('input.copy-source')) {
  if (!(input instanceof HTMLInputElement)) continue;
  input.addEventListener('focus', () => input.select());
}

document.querySelector('tr.is-new')?.scrollIntoView({ block: 'center' });
