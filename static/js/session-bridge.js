// How <itellico-call> makes and hears a CallSession: the session options its attributes ask for, its
// own reactions only while that session is its current one, and the public events re-dispatched on the
// element as bubbling, composed `itellico-call:*` events (docs/widget.md).

import { CallEvent, ELEMENT_EVENT_PREFIX, PUBLIC_EVENTS, onCallEvent } from './call-events.js';

/**
 * @typedef {import('./call-events.js').CallEventName} CallEventName
 * @typedef {import('./call-events.js').CallEventDetails} CallEventDetails
 * @typedef {import('./call-events.js').CallState} CallState
 * @typedef {{[K in CallEventName]?: (detail: CallEventDetails[K]) => void}} SessionHandlers
 */

/**
 * Where the element calls without `api-base`: the app that served this module ('' when that is the page's
 * own origin, as on the app's own pages). Before, it was always the page's origin, so an element put on
 * another site as docs/widget.md's first snippet shows posted to that site's server, and the visitor read
 * "Something went wrong on our side". The app serves the module, so its origin is the app's (a copy of
 * the module served from elsewhere needs `api-base`).
 * @param {string} moduleUrl @param {string} pageOrigin
 */
export function defaultApiBase(moduleUrl, pageOrigin) {
  const { origin } = new URL(moduleUrl);
  return origin === pageOrigin ? '' : origin;
}

/**
 * The app the element calls: its api-base, else where its module came from.
 * @param {Element} host
 */
export function apiBaseOf(host) {
  return host.getAttribute('api-base') ?? defaultApiBase(import.meta.url, globalThis.location?.origin);
}

/**
 * The CallSession options of the element's attributes (and its `variables` property).
 * @param {HTMLElement} host @param {'voice'|'text'} mode @param {Record<string, string>|undefined} variables
 * @returns {import('./call-options.js').CallSessionOptions}
 */
export function sessionOptions(host, mode, variables) {
  const maxAttr = Number(host.getAttribute('max-call-seconds'));
  return {
    apiBase: apiBaseOf(host),
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
 * `previous`: the host's state before this session; its first state event says it came from there.
 * @param {EventTarget} session @param {HTMLElement} host @param {() => boolean} isCurrent
 * @param {SessionHandlers} handlers @param {CallState} [previous]
 */
export function bridgeSession(session, host, isCurrent, handlers, previous = 'idle') {
  for (const [type, handler] of Object.entries(handlers)) {
    // Each handler is typed by its key in SessionHandlers; Object.entries loses that pairing.
    const listener = /** @type {(detail: unknown) => void} */ (handler);
    onCallEvent(session, /** @type {CallEventName} */ (type), (detail) => { if (isCurrent()) listener(detail); });
  }
  // Each call is a new CallSession, which starts idle: a retry's first event said `previous: 'idle'`
  // while the element had shown `ended` or `error` (docs/widget.md: `{state, previous}`).
  let firstState = true;
  for (const type of PUBLIC_EVENTS) {
    onCallEvent(session, type, (detail) => {
      // The host's own copy: the element keeps these details (its transcript, last error, last end), and
      // a host listener that reordered `entries` or masked their digits changed its `transcript` and the
      // downloads. They are plain data (call-events.js), which structuredClone copies whole.
      const own = structuredClone(detail);
      if (type === CallEvent.State && firstState) {
        firstState = false;
        /** @type {CallEventDetails['state']} */ (own).previous = previous;
      }
      // `ended` always reaches the host, once per call: a host that retries from its error listener
      // has already replaced this session when the failed call's `ended` follows.
      if (isCurrent() || type === CallEvent.Ended) {
        host.dispatchEvent(new CustomEvent(`${ELEMENT_EVENT_PREFIX}${type}`, { detail: own, bubbles: true, composed: true }));
      }
    });
  }
}
