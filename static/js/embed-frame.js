// /embed/<slug>: the framed page. Brings the element, explains a missing microphone permission (an
// <iframe> without allow="microphone", or a parent page whose Permissions-Policy header leaves this frame
// out) and switches to text instead of failing silently, and connects the postMessage bridge
// (embed-bridge.js) to the allowed parent.
import './itellico-call.js';
import { connectBridge } from './embed-bridge.js';
import { checkLink, linkFromFragment } from './share-link.js';
import { createTranslator, loadLanguage, resolveLanguage } from './i18n.js';
import { pageAllows } from './page-policy.js';

const body = document.body;
const element = document.querySelector('itellico-call');
const readJSON = (value, fallback) => {
  try { return JSON.parse(value); } catch { return fallback; }
};
const warn = (message) => console.warn(`[itellico web-call] ${message}`);
const framed = window.parent !== window;

/** Waits before each new try of a link check that got no verdict (the network, a 429 or 5xx). */
const CHECK_RETRIES_MS = [1000, 3000, 9000];

/**
 * A link-only demo's frame names nothing, its consent text neither, until the link is shown to be valid,
 * so until then its call must not start: a quick click, or the parent's `start` on `ready`, started it
 * without the consent step (an audit). The element is inert meanwhile; a refused link frees it (the
 * create is refused as well, and says why); a check that never answers keeps it held.
 * @param {HTMLElement} el @param {string} token @returns {Promise<boolean>} whether a call may start
 */
async function holdForLink(el, token) {
  el.inert = true;
  for (let i = 0; ; i++) {
    const checked = await checkLink(body.dataset.demo ?? '', token);
    if (checked.ok) {
      el.setAttribute('title-text', checked.data.display_name || checked.data.title);
      if (checked.data.display_name) el.setAttribute('agent-name', checked.data.display_name);
      if (checked.data.consent_text) el.setAttribute('consent-text', checked.data.consent_text);
    }
    const verdict = checked.ok || (checked.error.status >= 400 && checked.error.status < 500 && checked.error.status !== 429);
    if (verdict) {
      el.inert = false;
      return true;
    }
    if (i === CHECK_RETRIES_MS.length) return false;
    await new Promise((resolve) => setTimeout(resolve, CHECK_RETRIES_MS[i]));
  }
}

// A share link rides in the fragment (#link=…), which no request carries; the create body does.
const link = linkFromFragment(location.hash);
if (element && link) element.setAttribute('link', link);
const startable = element && link && body.dataset.access === 'link-only' ? holdForLink(element, link) : Promise.resolve(true);
const bridge = element && connectBridge({
  element,
  allowedOrigins: readJSON(body.dataset.parentOrigins, []),
  allowedVariables: readJSON(body.dataset.variables, {}),
  self: window,
  warn,
  startable,
});

// The notice says what the element's own refusal says (mic_blocked_by_page), in the element's language:
// its [data-text] keys. No catalogue at all (offline): embed.html's English words stay, not keys (CORE
// has none of them). It shows once this is settled: not English first, then German (two alerts).
const worded = loadLanguage(resolveLanguage(element?.getAttribute('lang'), navigator.languages)).then((lang) => {
  if (!lang) return;
  const { t } = createTranslator(lang);
  notice.lang = lang;
  for (const el of document.querySelectorAll('[data-text]')) el.textContent = t(/** @type {HTMLElement} */ (el).dataset.text ?? '');
});
const notice = /** @type {HTMLElement} */ (document.querySelector('[data-notice="microphone"]'));

/** False when a Permissions Policy (the iframe's `allow`, the parent page's header) keeps the microphone from this frame. */
const microphoneAllowed = () => pageAllows('microphone');

let noticeShown = false;
function microphoneUnavailable() {
  if (noticeShown) return;
  noticeShown = true;
  worded.then(() => { notice.hidden = false; });
  body.dataset.microphone = 'blocked';
  // The owner's line names both causes: the <iframe>'s allow, and the parent page's Permissions-Policy
  // header, which must name this frame's origin (policy-hint.js, loaded only now).
  import('./policy-hint.js').catch(() => {});
  bridge?.post('microphone-unavailable', { reason: 'permissions-policy' });
}

if (element && framed && !microphoneAllowed()) {
  // Known before any click: go straight to text, and say why.
  element.mode = 'text';
  microphoneUnavailable();
}
// Browsers without the policy API find out when the microphone is refused.
element?.addEventListener('itellico-call:error', (event) => {
  const code = event.detail?.code;
  if (framed && (code === 'mic_blocked_by_page' || (code === 'mic_denied' && !microphoneAllowed()))) microphoneUnavailable();
});

// `ready` once a call may start (at once but for a link-only demo): the documented parent sends `start` then.
startable.then(() => bridge?.post('ready', { demo: body.dataset.demo, mode: element.mode, microphone: microphoneAllowed() }));
