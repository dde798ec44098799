// The consent step of <itellico-call>: the demo's consent text with Accept / Decline, shown before a
// call until the person has accepted that text in this browser (consent.js remembers it per text).

import { storage } from './browser-storage.js';
import { hasConsented, rememberConsent } from './consent.js';

export class ConsentPrompt {
  #parts;
  /** @type {((outcome: boolean | Promise<boolean>) => void)[]} what start() calls made while it shows wait for */
  #waiting = [];

  /** @param {import('./element-template.js').ElementParts} parts */
  constructor(parts) {
    this.#parts = parts;
  }

  /**
   * Show the prompt when `text` is set and not accepted yet.
   * @param {string|null} text the consent-text attribute
   * @returns {boolean} whether it shows (the call waits for Accept)
   */
  ask(text) {
    if (!text || hasConsented(text, storage())) return false;
    this.#parts.consent.hidden = false;
    this.#parts.consentText.textContent = text;
    // Accept is read with its description, the consent text; focus also scrolls it into a short panel's
    // view (a phone in landscape: below the fold). Not if the prompt went meanwhile.
    this.#whenShown(() => { if (!this.#parts.consent.hidden) this.#parts.$('[data-action="accept"]').focus(); });
    return true;
  }

  /**
   * Run `then` once the card shows. A new element keeps it hidden until its stylesheet and words are in
   * (element-view.js): the launcher's first open asks at once, and a hidden Accept takes no focus.
   * @param {() => void} then
   */
  #whenShown(then) {
    const { card } = this.#parts;
    if (!card.hidden) return then();
    const watch = new MutationObserver(() => {
      if (card.hidden) return;
      watch.disconnect();
      then();
    });
    watch.observe(card, { attributeFilter: ['hidden'] });
  }

  /** Accept: remembered, so the next call starts at once. @param {string|null} text */
  accept(text) {
    rememberConsent(text, storage());
    this.hide();
  }

  /** Decline: back to the call button, nothing starts (start() calls waiting resolve false). */
  decline() {
    this.withdraw();
    this.#parts.callButton.focus();
  }

  /** The call asked for is withdrawn (the element's end() while the prompt shows): it goes, nothing
   * starts, and start() calls waiting resolve false. */
  withdraw() {
    if (this.#parts.consent.hidden) return;
    this.hide();
    this.settle(false);
  }

  /**
   * What a start() call made while the prompt shows resolves to, once the person chooses.
   * @returns {Promise<boolean>}
   */
  outcome() {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /**
   * The choice is made: each waiting start() resolves with `outcome` (after Accept: the started call's).
   * @param {boolean | Promise<boolean>} outcome
   */
  settle(outcome) {
    for (const resolve of this.#waiting.splice(0)) resolve(outcome);
  }

  /** Hidden with focus inside (on Accept, say), focus goes to the call button, not to <body>. */
  hide() {
    const { consent, root, callButton } = this.#parts;
    const hadFocus = consent.contains(root.activeElement);
    consent.hidden = true;
    if (hadFocus) callButton.focus();
  }
}
