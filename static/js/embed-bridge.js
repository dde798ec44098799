// The postMessage bridge between /embed/<slug> (this frame) and the page that frames it.
//
// frame → parent: {source: 'itellico-call', type, detail}: the element's events (state, agent-state,
//   transcript, error, ended) plus `ready`, `microphone-unavailable` and `result` (a command's outcome; a
//   failed one says `error`: `invalid_command` or `command_failed`, with a `message` for developers).
//   Always posted with the parent's exact origin as targetOrigin, never '*', and only when that origin is
//   one of the demo's allowed origins.
// parent → frame: {target: 'itellico-call', command, id?, ...}: start, end, sendText {text},
//   setMuted {muted}, setVariables {variables}, ping (a no-op that tells a frame which cannot see its
//   parent's origin where to send events). Accepted only from window.parent, only from an allowed
//   origin; anything else is ignored.

import { ELEMENT_EVENT_PREFIX, PUBLIC_EVENTS } from './call-events.js';
import { MAX_MESSAGE_CHARS } from './conversation.js';
// The page-variable rule, as the inline element applies it; static/widget.js carries its own copy for the
// script embed (tests/unit/test_page_variables.py runs both, and the server's, on one table of cases).
import { filterVariables } from './page-variables.js';

export const SOURCE = 'itellico-call';
export const COMMANDS = Object.freeze(['ping', 'start', 'end', 'sendText', 'setMuted', 'setVariables']);

const originOf = (url) => {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
};

/**
 * The parent's origin if we can tell it and it is allowed: location.ancestorOrigins (Chromium, Safari), else
 * the referrer's origin; null when unknown (the first allowed message from the parent then tells us).
 */
export function resolveParentOrigin({ allowed, ancestorOrigins, referrer }) {
  const candidates = [ancestorOrigins?.[0], originOf(referrer)];
  for (const candidate of candidates) if (candidate && allowed.includes(candidate)) return candidate;
  return null;
}

/** A well-formed command, or null. */
export function parseCommand(data) {
  if (!data || typeof data !== 'object' || data.target !== SOURCE) return null;
  const { command, id } = data;
  if (!COMMANDS.includes(command)) return null;
  const base = { command, id: typeof id === 'string' || typeof id === 'number' ? id : undefined };
  if (command === 'sendText') {
    if (typeof data.text !== 'string' || !data.text.trim() || data.text.length > MAX_MESSAGE_CHARS) return null;
    return { ...base, text: data.text };
  }
  if (command === 'setMuted') {
    if (typeof data.muted !== 'boolean') return null;
    return { ...base, muted: data.muted };
  }
  if (command === 'setVariables') {
    if (!data.variables || typeof data.variables !== 'object' || Array.isArray(data.variables)) return null;
    return { ...base, variables: data.variables };
  }
  return base;
}

/**
 * Wire an <itellico-call> element to its parent window.
 * @param {object} o
 * @param {import('./itellico-call.js').ItellicoCallElement} o.element   the <itellico-call>
 * @param {string[]} o.allowedOrigins     the demo's allowed origins
 * @param {Record<string, number>} o.allowedVariables
 * @param {Window} o.self                 this frame's window
 * @param {(message: string) => void} [o.warn]
 * @param {Promise<boolean>} [o.startable] whether the frame lets a call start, once it knows (a link-only
 *   demo: when its link check handed over the consent text); a `start` waits for it, and false refuses it
 */
export function connectBridge({ element, allowedOrigins, allowedVariables, self, warn = () => {}, startable = Promise.resolve(true) }) {
  const parent = self.parent;
  if (!parent || parent === self) return null;
  let parentOrigin = resolveParentOrigin({
    allowed: allowedOrigins,
    ancestorOrigins: self.location.ancestorOrigins,
    referrer: self.document.referrer,
  });
  const pending = [];

  const post = (type, detail) => {
    const message = { source: SOURCE, type, detail: detail === undefined ? null : JSON.parse(JSON.stringify(detail)) };
    if (parentOrigin) parent.postMessage(message, parentOrigin);
    else if (pending.length < 50) pending.push(message);
  };

  // Exactly the element's public events, as a page with the inline element gets them (docs/widget.md).
  for (const type of PUBLIC_EVENTS) {
    element.addEventListener(`${ELEMENT_EVENT_PREFIX}${type}`, (event) => post(type, /** @type {CustomEvent} */ (event).detail));
  }

  const run = async (cmd) => {
    switch (cmd.command) {
      case 'ping': return true;
      case 'start': return (await startable) && element.start();
      case 'end': element.end(); return true;
      case 'sendText': return element.sendText(cmd.text);
      case 'setMuted': await element.setMuted(cmd.muted); return true;
      case 'setVariables': {
        const { accepted, rejected } = filterVariables(cmd.variables, allowedVariables);
        for (const r of rejected) warn(`variable "${r.name}" was not sent: ${r.reason}`);
        element.variables = accepted;
        return { accepted: Object.keys(accepted), rejected };
      }
      default: return false;
    }
  };

  self.addEventListener('message', async (event) => {
    if (event.source !== parent || !allowedOrigins.includes(event.origin)) return;
    if (parentOrigin && event.origin !== parentOrigin) return;
    const cmd = parseCommand(event.data);
    if (!cmd && event.data?.target !== SOURCE) return;
    if (!parentOrigin) {
      parentOrigin = event.origin; // a message from our parent, from an allowed origin: that is the parent
      for (const message of pending.splice(0)) parent.postMessage(message, parentOrigin);
    }
    const { command = null, id } = cmd ?? event.data;
    let outcome;
    try {
      outcome = cmd ? { ok: true, value: (await run(cmd)) ?? null } : { ok: false, error: 'invalid_command' };
    } catch (error) {
      // A code the parent can match on and translate (docs/widget.md); the message is for its developers.
      outcome = { ok: false, error: 'command_failed', message: String(error) };
    }
    post('result', { command, id, ...outcome });
  });

  return { post, get parentOrigin() { return parentOrigin; } };
}
