// The busy countdown of the error panel (static/js/error-panel.js) in each language's own words.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ErrorPanel } from '../../static/js/error-panel.js';
import { createTranslator, loadCatalogue } from '../../static/js/i18n.js';

/** The error panel's parts, as plain objects that keep their text. */
function fakePanel() {
  const part = () => ({ textContent: '', hidden: false, disabled: false, setAttribute() {} });
  const parts = Object.fromEntries(['.error-title', '.error-message', '.error-next', '.error-step', '.error-ref',
    '[data-action="retry"]', '[data-action="switch-to-text"]'].map((s) => [s, part()]));
  return { parts, dataset: {}, querySelector: (/** @type {string} */ s) => parts[s] };
}

/** What the panel says `seconds` into a busy countdown's wait, in `lang`. */
async function countdown(lang, seconds) {
  await loadCatalogue(lang);
  const { t } = createTranslator(lang);
  const panel = fakePanel();
  const callButton = { setAttribute() {}, removeAttribute() {} };
  const errors = new ErrorPanel(/** @type {any} */ (panel), /** @type {any} */ (callButton), t, () => true);
  const error = { code: 'rate_limited', message: '', step: 'creating-call', retryAfter: seconds, fatal: true };
  errors.arm(/** @type {any} */ (error));
  errors.render(/** @type {any} */ (error), { t, browser: 'chrome', canSwitchToText: false });
  errors.stop();
  return panel.parts['.error-next'].textContent;
}

test('one second left is one second, not "1 seconds" (en) or "1 Sekunden" (de)', async () => {
  assert.equal(await countdown('en', 1), 'Please try again in 1 second.');
  assert.equal(await countdown('en', 2), 'Please try again in 2 seconds.');
  assert.equal(await countdown('de', 1), 'Bitte versuchen Sie es in 1 Sekunde erneut.');
  assert.equal(await countdown('de', 30), 'Bitte versuchen Sie es in 30 Sekunden erneut.');
});
