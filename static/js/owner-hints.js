// What the element tells the site's owner, in the browser console: the page works or shows a clear error
// for the visitor either way; these lines say which attribute, origin or call of the page's own code to fix.
// The script launcher (static/widget.js, a classic script that cannot import this) says the refused-origin
// hint, its config's failures and its typos in its own words for its own requests.

/** @param {string} message */
export const warn = (message) => console.warn(`[itellico web-call] ${message}`);

/** Lines already said on this page: one per cause, however often it happens (each retry, each element). */
const told = new Set();

/** @param {string} message */
export function warnOnce(message) {
  if (told.has(message)) return;
  told.add(message);
  warn(message);
}

/**
 * A refused create, for whoever can fix it: the origin the browser sent ('null' in a sandboxed frame,
 * whatever its address says), the server's reason for an invalid request (a variable the demo does
 * not take, by name), or a demo the app does not have (as the launcher says it for data-demo).
 * @param {{code: string, message: string}} detail @param {string} demo
 * @param {string} [app] the app asked (the element's api-base, absolute)
 */
export function hintRefusedCall(detail, demo, app = self.origin) {
  if (detail.code === 'origin_not_allowed') {
    warnOnce(self.origin === 'null'
      ? `calls are not allowed for demo "${demo}": this page is sandboxed without allow-same-origin, so the browser sends Origin: null, which no allowed_origins can allow. Add allow-same-origin to the sandbox.`
      : `calls from ${self.origin} are not allowed for demo "${demo}". Add this origin to the demo's allowed_origins (or to WEBCALL_ALLOWED_ORIGINS).`);
  } else if (detail.code === 'invalid_request') {
    warnOnce(`the call was refused: ${detail.message}`);
  } else if (detail.code === 'unknown_demo') {
    warnOnce(`there is no demo "${demo}" on ${app}; check the demo attribute.`);
  }
}

/** The element's attributes (docs/widget.md, Attributes). */
const ATTRIBUTES = ['demo', 'mode', 'lang', 'theme', 'api-base', 'consent-text', 'max-call-seconds', 'initial-text',
  'link', 'agent-name', 'title-text', 'confirm-leave', 'privacy-url'];
/** @param {string} name */
const bare = (name) => name.replace(/^data-/, '').replace(/[-_]/g, '');

/**
 * The element's attribute that `name` was meant to be, or null: the same letters under another spelling
 * (`data-demo`, the launcher tag's name; `apibase`, which is apiBase once HTML lowercased it; `api_base`).
 * An unrelated name (the page's own `class`, `data-testid`, the element's `data-state`) is not one.
 * @param {string} name @returns {string|null}
 */
export function misnamedAttribute(name) {
  if (ATTRIBUTES.includes(name)) return null;
  return ATTRIBUTES.find((known) => bare(known) === bare(name)) ?? null;
}

/**
 * One line per attribute the element reads under another name: `data-demo="northwind"` called the demo
 * `default` without a word.
 * @param {Element} host
 */
export function hintAttributes(host) {
  for (const name of host.getAttributeNames()) {
    const meant = misnamedAttribute(name);
    if (meant) warnOnce(`<itellico-call> has no attribute "${name}", so it is ignored: use "${meant}"`);
  }
}

/** @param {string} url @returns {string|null} */
function originOf(url) {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? null : origin;
  } catch {
    return null; // 'inline', 'eval', '' (what a blocked script or style that is no URL reports)
  }
}

/** Origin → what connects there and the origins its directive needs (a LiveKit URL and its http(s) twin). */
const watched = new Map();
let listening = false;

/**
 * Connections the element will make: a violation of the page's Content-Security-Policy that blocks one
 * is said (connect-src: the create, the LiveKit signalling and its http(s) twin, which livekit-client
 * fetches too). Without this the visitor read "No connection" or "turn off a VPN", and the owner only
 * the browser's own line, which names neither the app nor what to add.
 * @param {string[]} urls @param {string} what
 */
export function watchConnections(urls, what) {
  const origins = [...new Set(urls.map(originOf).filter(Boolean))];
  for (const origin of origins) watched.set(origin, { what, origins });
  // A hint must never break a call: no listener where there is no real document (tests, workers).
  if (!listening && typeof globalThis.document?.addEventListener === 'function') {
    listening = true;
    // Capture: a violation is fired at the document (fetch, WebSocket) and must not be stopped on its way.
    document.addEventListener('securitypolicyviolation', (e) => {
      const hint = blockedHint(/** @type {SecurityPolicyViolationEvent} */ (e));
      if (hint) warnOnce(hint);
    }, true);
  }
}

/**
 * The line for a blocked connection of ours, or null for anything else (the page's own requests; a
 * stylesheet, which the launcher names). Origins only: the URL may carry the call's access token.
 * @param {{blockedURI: string, effectiveDirective: string}} violation
 * @returns {string|null}
 */
export function blockedHint({ blockedURI, effectiveDirective }) {
  const entry = effectiveDirective === 'connect-src' ? watched.get(originOf(blockedURI)) : undefined;
  if (!entry) return null;
  return `this page's Content-Security-Policy (connect-src) blocks ${entry.what}: add ${entry.origins.join(' ')} to connect-src`;
}
