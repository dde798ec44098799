// The consent step's focus (static/js/consent-prompt.js): hiding the prompt while focus is on one of its
// buttons must not leave focus on a hidden button, which the browser then drops to <body>.
// (The whole flow in Chromium: tests/e2e/test_focus.py.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { ConsentPrompt } from '../../static/js/consent-prompt.js';

/** The parts ConsentPrompt uses, with a shadow root that tracks which of them has focus. */
function fakeParts() {
  const root = { activeElement: null };
  const button = (name) => ({ name, focus() { root.activeElement = this; } });
  const accept = button('accept');
  const decline = button('decline');
  const consent = { hidden: true, contains: (el) => el === accept || el === decline };
  return {
    root,
    accept,
    consent,
    card: { hidden: false },
    consentText: { textContent: '' },
    callButton: button('call-button'),
    $: (selector) => (selector === '[data-action="accept"]' ? accept : null),
  };
}

test('accepting with focus on Accept moves focus to the call button', () => {
  const parts = fakeParts();
  const prompt = new ConsentPrompt(/** @type {any} */ (parts));
  assert.equal(prompt.ask('Calls are recorded.'), true);
  assert.equal(parts.root.activeElement?.name, 'accept');
  prompt.accept('Calls are recorded.');
  assert.equal(parts.consent.hidden, true);
  assert.equal(parts.root.activeElement?.name, 'call-button');
});

test('hiding the prompt leaves focus alone when it was not in the prompt', () => {
  const parts = fakeParts();
  const prompt = new ConsentPrompt(/** @type {any} */ (parts));
  prompt.ask('Calls are recorded.');
  parts.root.activeElement = null; // focus went elsewhere on the page (or a click gave it to nothing)
  prompt.hide();
  assert.equal(parts.consent.hidden, true);
  assert.equal(parts.root.activeElement, null);
});

// start() while the prompt shows resolves with what the person chooses (docs/widget.md): the call's own
// outcome after Accept, false after Decline. It resolved false at once, though Accept then started a call.
test('what start() waits for: the started call after Accept, false after Decline', async () => {
  const parts = fakeParts();
  const prompt = new ConsentPrompt(/** @type {any} */ (parts));
  prompt.ask('Calls are recorded.');
  const declined = prompt.outcome();
  prompt.decline();
  assert.equal(await declined, false);

  prompt.ask('Calls are recorded.');
  const first = prompt.outcome();
  const second = prompt.outcome(); // start() twice while it shows
  prompt.accept('Calls are recorded.');
  prompt.settle(Promise.resolve(true)); // the call Accept started: the agent answered
  assert.deepEqual(await Promise.all([first, second]), [true, true]);
  prompt.settle(false); // nobody waits any more: nothing happens
});
