// The privacy policy where the visitor decides to talk (the element's `privacy-url`): a "Privacy policy"
// link in the fine print under the call button before and between calls, and in the consent step. The
// visitor's voice and transcript are collected here, so the policy belongs here, not only in a footer.
// The links open a new tab (element-template.js): leaving the page would end a call.

import { isActive } from './call-state.js';
import { warn } from './owner-hints.js';

export const PRIVACY_URL = 'privacy-url';

/**
 * The link's address: an absolute http(s) URL with a host, as the browser reads it; anything else (a
 * `javascript:` or `data:` URL, a relative path, whitespace such as a pasted line break, a `user@` part
 * every visitor would read) none.
 * @param {string|null|undefined} value @returns {string|null}
 */
export function privacyHref(value) {
  try {
    const url = new URL(value);
    // The `//` as typed: the browser reads `https:example.com` as https://example.com/, a typo all the same.
    const ok = /^https?:\/\/\S+$/i.test(value) && url.hostname && !url.username && !url.password;
    return ok ? url.href : null;
  } catch {
    return null; // no value, or not a URL at all
  }
}

export class PrivacyLinks {
  #parts;
  /** The bad value last told about: one console line per value, not one per drawing. */
  #told = /** @type {string|null} */ (null);

  /** @param {Pick<import('./element-template.js').ElementParts, 'privacy'|'privacyLink'|'consentPrivacy'|'consentPrivacyLink'>} parts */
  constructor(parts) {
    this.#parts = parts;
  }

  /**
   * @param {string|null} value the privacy-url attribute
   * @param {import('./call-events.js').CallState} state the call's
   */
  render(value, state) {
    const href = privacyHref(value);
    if (value && !href && value !== this.#told) warn(`privacy-url "${value}" is not an absolute http(s) URL: no privacy link`);
    this.#told = href ? null : value;
    const p = this.#parts;
    for (const link of [p.privacyLink, p.consentPrivacyLink]) {
      if (href) link.setAttribute('href', href);
      else link.removeAttribute('href');
    }
    // The consent step shows only before a call; during one the fine print would crowd the call.
    p.privacy.hidden = !href || isActive(state);
    p.consentPrivacy.hidden = !href;
  }
}
