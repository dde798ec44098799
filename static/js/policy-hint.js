// The site owner's console line for a page whose Permissions Policy forbids the microphone: the browser's
// own ("Permissions policy violation: microphone is not allowed in this document") names no fix, and the
// visitor's "Voice is off on this website" none the owner can act on. call-start.js imports this module
// only then, as static/widget.js fetches widget-hints.js only with a mistake to name, so no other visitor
// downloads these words (tests/unit/test_call_start_budget.py). Importing it says the line: a module runs
// once per page, so the line is said once however often voice is refused (as owner-hints.js's warnOnce
// does), and the eager code needs nothing but the import.

/**
 * On a page of its own the page's header is the cause; in a frame it may be the <iframe>'s `allow` or the
 * header of the page around it, which must name the frame's origin.
 * @param {{framed: boolean, origin: string}} where
 * @returns {string}
 */
export function microphonePolicyHint({ framed, origin }) {
  const what = 'so voice calls cannot start here and the visitor is offered typing instead.';
  return framed
    ? `this frame may not use the microphone, ${what} The <iframe> tag needs allow="microphone", and a Permissions-Policy header of the page around it must allow this frame: microphone=(self "${origin}").`
    : `this page's Permissions-Policy header does not allow the microphone, ${what} Allow it for this page: Permissions-Policy: microphone=(self).`;
}

// `top` is readable across origins: a frame on another site's page is told its own origin to allow.
const where = { framed: globalThis.top !== globalThis.self, origin: String(globalThis.location?.origin) };
console.warn(`[itellico web-call] ${microphonePolicyHint(where)}`);
