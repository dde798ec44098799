// Turn an error code into words a person can act on: a title, what happened, and what to do next.
import { errorInfo, knownCode } from './errors.js';

/**
 * Apps whose links open in their own built-in browser, by the marker each puts in its user agent
 * (`; wv)` is any Android WebView). Such a browser has no address bar icon or site settings to change,
 * and many cannot use the microphone at all: the way out is opening the page in Safari or Chrome.
 * The Google app (GSA) is left out: it is a browser of its own with a microphone setting.
 */
const IN_APP = /; wv\)|\bInstagram\b|\bFBAN\/|\bFBAV\/|\[LinkedInApp\]|\bWhatsApp\/|\bLine\/|\bSnapchat\/|\bTikTok\/|\bmusical_ly_|\bBytedanceWebview\//;

/**
 * Which browser's steps to show for "microphone blocked". Edge and other Chromium browsers share Chrome's UI.
 * @param {string} userAgent
 * @returns {'chrome'|'firefox'|'safari'|'inapp'|'other'}
 */
export function detectBrowser(userAgent = '') {
  if (IN_APP.test(userAgent)) return 'inapp';
  if (/Firefox\/|FxiOS\//.test(userAgent)) return 'firefox';
  if (/Edg\/|Chrome\/|Chromium\/|CriOS\//.test(userAgent)) return 'chrome';
  if (/Safari\//.test(userAgent) && /Version\//.test(userAgent)) return 'safari';
  return 'other';
}

/**
 * @param {{code: string, step?: string, retryAfter?: number}} error
 * @param {(key: string, params?: object) => string} t translator
 * @param {{browser?: string}} [env]
 * @returns {{code: string, title: string, message: string, next: string, step: string|null,
 *            retry: boolean, offerText: boolean, ownerMustFix: boolean}}
 */
export function describeError(error, t, { browser = 'other' } = {}) {
  const code = knownCode(error.code);
  const info = errorInfo(code);
  let next;
  if (code === 'mic_denied') {
    next = t(`error.mic_denied.next.${browser}`);
  } else if (info.countdown && error.retryAfter > 0) {
    const seconds = Math.ceil(error.retryAfter);
    next = t(seconds === 1 ? 'error.retry.inOne' : 'error.retry.in', { seconds });
  } else {
    next = t(`error.${code}.next`);
  }
  return {
    code,
    title: t(`error.${code}.title`),
    message: t(`error.${code}.message`),
    next,
    step: error.step ? t('error.failedStep', { step: t(`step.${error.step}`) }) : null,
    retry: Boolean(info.retry),
    offerText: Boolean(info.offerText),
    ownerMustFix: Boolean(info.ownerMustFix),
  };
}
