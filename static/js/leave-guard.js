// The `confirm-leave` attribute of <itellico-call>: while its call is starting or live, a reload, a link
// or a closed tab first asks the browser to confirm leaving (a visitor who pressed F5 lost the call with no
// warning). Browsers show their own generic text (a page's own text is ignored) and only on a page the
// person has interacted with (Chromium: a user gesture; the call's click is one).
//
// The `beforeunload` listener exists only during a call: a page with one is kept out of the browser's
// back/forward cache, so a permanent listener would slow every back and forward of the host page.

import { isActive } from './call-state.js';

export const CONFIRM_LEAVE = 'confirm-leave';

export class LeaveGuard {
  #host;
  /** @type {Window|null} where the listener is, while it is */ #window = null;
  // One listener per element: two elements in calls each hold their own, so one call's end keeps the other's.
  #onBeforeUnload = (/** @type {BeforeUnloadEvent} */ event) => {
    // preventDefault is the standard way to ask; returnValue the older one (Chromium before 119, Safari).
    event.preventDefault();
    event.returnValue = true;
  };

  /** @param {HTMLElement} host the element whose attribute opts in */
  constructor(host) {
    this.#host = host;
  }

  /** Whether the listener is in place now (tests). */
  get armed() { return this.#window !== null; }

  /**
   * Listen while `state` is a call being set up or running, the host asks for it and is in the document;
   * otherwise not. Call it on every state change, attribute change and removal.
   * @param {string} state the element's call state (call-state.js)
   */
  sync(state) {
    const want = isActive(state) && this.#host.hasAttribute(CONFIRM_LEAVE) && this.#host.isConnected;
    if (want === this.armed) return;
    if (want) {
      this.#window = this.#host.ownerDocument.defaultView ?? globalThis.window;
      this.#window.addEventListener('beforeunload', this.#onBeforeUnload);
    } else {
      this.#window?.removeEventListener('beforeunload', this.#onBeforeUnload);
      this.#window = null;
    }
  }
}
