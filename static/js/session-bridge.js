// How <itellico-call> makes and hears a CallSession: the session options its attributes ask for, its
// own reactions only while that session is its current one, and the public events re-dispatched on the
// element as bubbling, composed `itellico-call:*` events (docs/widget.md).

import { CallEvent, ELEMENT_EVENT_PREFIX, PUBLIC_EVENTS, onCallEvent } from './call-events.js';

/**
 * @typedef {import('./call-events.js').CallEventName} CallEventName
 * @typedef {import('./call-events.js').CallEventDetails} CallEventDetails
 * @typedef {{[K in CallEventName]?: (detail: CallEventDetails[K]) => void}} SessionHandlers
 */

/**
 * The CallSession options of the element's attributes (and its `variables` property).
 * @param {HTMLElement} host @param {'voice'|'text'} mode @param {Record<string, string>|undefined} variables
 * @returns {import('./call-options.js').CallSessionOptions}
 */
export function sessionOptions(host, mode, variables) {
  const maxAttr = Number(host.getAttribute('max-call-seconds'));
  return {
    apiBase: host.getAttribute('api-base') ?? '',
    demo: host.getAttribute('demo') ?? undefined,
    mode,
    initialText: host.getAttribute('initial-text') ?? undefined,
    link: host.getAttribute('link') ?? undefined,
    variables,
    maxCallSeconds: maxAttr > 0 ? maxAttr : undefined,
  };
}

/**
 * Listen to `session`: `handlers` while `isCurrent()`, then the public events on `host`.
 * @param {EventTarget} session @param {HTMLElement} host @param {() => boolean} isCurrent
 * @param {SessionHandlers} handlers
 */
export function bridgeSession(session, host, isCurrent, handlers) {
  for (const [type, handler] of Object.entries(handlers)) {
    // Each handler is typed by its key in SessionHandlers; Object.entries loses that pairing.
    const listener = /** @type {(detail: unknown) => void} */ (handler);
    onCallEvent(session, /** @type {CallEventName} */ (type), (detail) => { if (isCurrent()) listener(detail); });
  }
  for (const type of PUBLIC_EVENTS) {
    onCallEvent(session, type, (detail) => {
      // `ended` always reaches the host, once per call: a host that retries from its error listener
      // has already replaced this session when the failed call's `ended` follows.
      if (isCurrent() || type === CallEvent.Ended) {
        host.dispatchEvent(new CustomEvent(`${ELEMENT_EVENT_PREFIX}${type}`, { detail, bubbles: true, composed: true }));
      }
    });
  }
}
