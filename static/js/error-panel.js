// The error panel: what went wrong, what to do next, "Try again" (counting down Retry-After when the
// server is busy) and "Switch to text" when only the microphone is the problem. The small print names
// the step, the code and, when our server answered, "Reference: <request id>" for the visitor to quote
// (an operator finds that id in the app's log lines and itellico's).

import { describeError } from './error-messages.js';
import { errorInfo, knownCode } from './errors.js';
import { secondsUntil } from './format.js';

/**
 * @typedef {import('./call-events.js').ErrorDetail} ErrorDetail
 * @typedef {(key: string, params?: object) => string} Translate
 */

export class ErrorPanel {
  /** When a rate-limited person may try again (ms since epoch); 0 when not counting down. */
  #retryAt = 0;
  /** @type {ReturnType<typeof setInterval>|null} */
  #ticker = null;
  #panel;
  #callButton;
  #t;
  #isShowing;

  /**
   * @param {HTMLElement} panel @param {HTMLButtonElement} callButton held with "Try again" while counting down
   * @param {Translate} t @param {() => boolean} isShowing the element is in its error state
   */
  constructor(panel, callButton, t, isShowing) {
    this.#panel = panel;
    this.#callButton = callButton;
    this.#t = t;
    this.#isShowing = isShowing;
  }

  /** A new fatal error: start the busy countdown when the server said when to come back. @param {ErrorDetail} detail */
  arm(detail) {
    this.stop();
    const counts = errorInfo(knownCode(detail.code)).countdown && detail.retryAfter && detail.retryAfter > 0;
    this.#retryAt = counts ? Date.now() + detail.retryAfter * 1000 : 0;
    if (this.#retryAt) this.#ticker = setInterval(() => this.#renderRetry(), 250);
  }

  /** Stop the countdown (a new call, or the element was removed). */
  stop() {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
  }

  /**
   * @param {ErrorDetail} error
   * @param {{t: Translate, browser: string, canSwitchToText: boolean}} context
   */
  render(error, { t, browser, canSwitchToText }) {
    this.#t = t;
    const d = describeError(error, t, { browser });
    const panel = this.#panel;
    panel.dataset.code = d.code;
    this.#text('.error-title', d.title);
    this.#text('.error-message', d.message);
    this.#text('.error-next', d.next);
    this.#text('.error-step', [d.step, t('error.code', { code: d.code })].filter(Boolean).join(' '));
    this.#text('.error-ref', error.requestId ? t('error.reference', { id: error.requestId }) : '');
    this.#button('retry').hidden = !d.retry;
    this.#button('switch-to-text').hidden = !(d.offerText && canSwitchToText);
    this.#renderRetry();
  }

  /**
   * Busy (rate limited): count down from Retry-After; "Try again" stays disabled until it ends, and the
   * big button, which would start the same refused call, is held with aria-disabled (it keeps focus; the
   * element ignores its clicks). Out of the error state the button is the state's (CallChrome).
   */
  #renderRetry() {
    const retry = this.#button('retry');
    const next = /** @type {HTMLElement} */ (this.#panel.querySelector('.error-next'));
    const counting = this.#isShowing() && this.#retryAt > 0;
    const left = counting ? secondsUntil(this.#retryAt) : 0;
    retry.disabled = left > 0;
    retry.textContent = left > 0 ? this.#t('action.tryAgainIn', { seconds: left }) : this.#t('action.tryAgain');
    if (!counting) {
      this.stop();
      return;
    }
    if (left > 0) this.#callButton.setAttribute('aria-disabled', 'true');
    else this.#callButton.removeAttribute('aria-disabled');
    // The first text is read with the alert; the ticking that follows stays silent.
    if (next.textContent) { next.setAttribute('aria-live', 'off'); retry.setAttribute('aria-live', 'off'); }
    const inKey = left === 1 ? 'error.retry.inOne' : 'error.retry.in'; // "1 second", not "1 seconds"
    next.textContent = left > 0 ? this.#t(inKey, { seconds: left }) : this.#t('error.retry.now');
    if (left === 0) {
      this.stop();
      this.#retryAt = 0;
    }
  }

  /** @param {string} selector @param {string} text */
  #text(selector, text) {
    /** @type {HTMLElement} */ (this.#panel.querySelector(selector)).textContent = text;
  }

  /** @param {string} action @returns {HTMLButtonElement} */
  #button(action) {
    return /** @type {HTMLButtonElement} */ (this.#panel.querySelector(`[data-action="${action}"]`));
  }
}
