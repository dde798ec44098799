// What the element tells the site's owner, in the browser console: the page works or shows a clear error
// for the visitor either way; these lines say which attribute, origin or call of the page's own code to fix.
// The script launcher (static/widget.js, a classic script that cannot import this) says the refused-origin
// hint in its own words for its own requests.

/** @param {string} message */
export const warn = (message) => console.warn(`[itellico web-call] ${message}`);

/**
 * A refused create, for whoever can fix it: the origin the browser sent ('null' in a sandboxed frame,
 * whatever its address says), or the server's reason for an invalid request (a variable the demo does
 * not take, by name).
 * @param {{code: string, message: string}} detail @param {string} demo
 */
export function hintRefusedCall(detail, demo) {
  if (detail.code === 'origin_not_allowed') {
    warn(self.origin === 'null'
      ? `calls are not allowed for demo "${demo}": this page is sandboxed without allow-same-origin, so the browser sends Origin: null, which no allowed_origins can allow. Add allow-same-origin to the sandbox.`
      : `calls from ${self.origin} are not allowed for demo "${demo}". Add this origin to the demo's allowed_origins (or to WEBCALL_ALLOWED_ORIGINS).`);
  } else if (detail.code === 'invalid_request') {
    warn(`the call was refused: ${detail.message}`);
  }
}
