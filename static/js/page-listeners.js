// What <itellico-call> listens to on the whole page while it is in it: the M key (mute during a voice
// call while focus is in the element, see isMuteShortcut), the tab becoming visible again
// (the browser drops a screen wake lock when the tab is hidden, so it is taken again) and the browser
// going offline or online. And how a removal, not a move, is recognised.

import { isMuteShortcut } from './call-chrome.js';

/**
 * @typedef {object} PageHooks
 * @property {() => boolean} canMuteByKey  a voice call is up
 * @property {() => void} toggleMute
 * @property {() => void} onVisible        the tab is visible again
 * @property {() => void} onNetwork        the browser went offline or online (navigator.onLine)
 */

export class PageListeners {
  #host;
  #hooks;

  /** @param {HTMLElement} host the element @param {PageHooks} hooks */
  constructor(host, hooks) {
    this.#host = host;
    this.#hooks = hooks;
  }

  attach() {
    document.addEventListener('keydown', this.#onKeydown);
    document.addEventListener('visibilitychange', this.#onVisibility);
    window.addEventListener('offline', this.#onNetwork);
    window.addEventListener('online', this.#onNetwork);
  }

  detach() {
    document.removeEventListener('keydown', this.#onKeydown);
    document.removeEventListener('visibilitychange', this.#onVisibility);
    window.removeEventListener('offline', this.#onNetwork);
    window.removeEventListener('online', this.#onNetwork);
  }

  /** @param {KeyboardEvent} event */
  #onKeydown = (event) => {
    if (!this.#hooks.canMuteByKey() || !isMuteShortcut(event, this.#host)) return;
    event.preventDefault();
    this.#hooks.toggleMute();
  };

  #onNetwork = () => this.#hooks.onNetwork();

  #onVisibility = () => {
    if (document.visibilityState === 'visible') this.#hooks.onVisible();
  };
}

/**
 * Run `gone` if the element is still out of the document after a microtask. Single-page apps re-parent
 * elements: a move runs disconnectedCallback and connectedCallback in the same task, before any
 * microtask, so only an element still disconnected then was really removed.
 * @param {HTMLElement} host @param {() => void} gone
 */
export function whenRemoved(host, gone) {
  queueMicrotask(() => {
    if (!host.isConnected) gone();
  });
}
