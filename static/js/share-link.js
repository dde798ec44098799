// Share links carry their token in the URL fragment (`/demo/<slug>#link=…`, `/embed/<slug>#link=…`):
// browsers never send a fragment to a server, so the token stays out of request lines, access logs and
// Referer headers. The page reads it here and sends it only in request bodies (the link check, the create).

import { readResponse } from './api-client.js';

const MAX_TOKEN = 4000;

/**
 * A token as a prospect's mail or chat client hands it over, made whole again: percent-encoding
 * decoded once (bytes that are not UTF-8 become U+FFFD), then a `%20` left (a link encoded twice)
 * and every character that is not a token's (base64url or a dot) dropped wherever it is (a line
 * break, a quoted-printable `=`, a bracket, a control character), then the dots at its end (glued
 * punctuation; a token always ends in base64url). Only the server's signature check decides whether
 * the result opens anything. The server applies the same rule (`clean_token` in webcall/links.py);
 * tests/unit/test_share_token_rule.py runs both on one list of cases.
 * @param {string} raw
 * @returns {string}
 */
export function cleanToken(raw) {
  // Each run of `%XX` on its own, its bytes read as UTF-8 with U+FFFD for what is not (Python's unquote).
  const decoded = String(raw).replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) =>
    new TextDecoder().decode(Uint8Array.from(run.slice(1).split('%'), (hex) => parseInt(hex, 16))),
  );
  const token = decoded.replace(/%20/g, '').replace(/[^A-Za-z0-9_.-]+/g, '');
  let end = token.length; // a loop, not a regex: `\.+$` backtracks quadratically on a run of dots
  while (end && token[end - 1] === '.') end -= 1;
  return token.slice(0, end);
}

/**
 * The share-link token in a URL fragment such as `#link=abc.def` (cleaned up), or null.
 * @param {string|null|undefined} hash location.hash
 * @returns {string|null}
 */
export function linkFromFragment(hash) {
  const params = new URLSearchParams(String(hash ?? '').replace(/^#/, ''));
  const raw = params.get('link');
  const token = raw === null ? '' : cleanToken(raw);
  return token && token.length <= MAX_TOKEN ? token : null;
}

/**
 * Ask the app whether `link` opens demo `slug`: {ok: true, data: {title, company, …}} or
 * {ok: false, error: {code: 'link_invalid'|'link_expired'|…}} (never throws). Either may carry
 * `contact`, the rep who owns a genuinely signed link, an expired or withdrawn one's too
 * (webcall/link_contact.py): `{name, email, subject}`, else null.
 * @param {string} slug @param {string} link
 * @param {{fetch?: typeof fetch}} [options]
 * @returns {Promise<{ok: boolean, data?: any, error?: {code: string, message: string, status: number}, contact: any}>}
 */
export async function checkLink(slug, link, { fetch: fetchImpl = globalThis.fetch.bind(globalThis) } = {}) {
  try {
    const response = await fetchImpl(`/api/demos/${encodeURIComponent(slug)}/link`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ link }),
    });
    const contact = await response.clone().json().then((body) => body?.contact ?? null, () => null);
    return { ...(await readResponse(response)), contact };
  } catch (err) {
    return { ok: false, error: { code: 'network_error', message: String(err?.message ?? err), status: 0 }, contact: null };
  }
}
