// Sales index: copy buttons. Each button names the read-only input whose value it copies.
// What happened is also said in a status region: a focused button's new text is not announced.
const copyStatus = document.querySelector('[data-copy-status]');
const say = (/** @type {string} */ text) => {
  if (!copyStatus) return;
  copyStatus.textContent = '';
  requestAnimationFrame(() => { copyStatus.textContent = text; }); // the same words twice are said twice
};
const copyKeys = /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘-C' : 'Ctrl-C';

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
    say('Link copied');
  } catch {
    // No clipboard (plain http, no permission, an old browser): select it so the keys copy it.
    source.focus();
    source.select();
    label(button, `Press ${copyKeys}`);
    say(`The link is selected: press ${copyKeys} to copy it.`);
  }
});

for (const input of document.querySelectorAll('input.copy-source')) {
  if (!(input instanceof HTMLInputElement)) continue;
  input.addEventListener('focus', () => input.select());
}

document.querySelector('tr.is-new')?.scrollIntoView({ block: 'center' });
