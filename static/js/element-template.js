// The markup of <itellico-call> (one shadow root, styled by one stylesheet loaded by URL so a strict CSP
// without 'unsafe-inline' works) and the handles to its parts.

import { TEMPLATE } from './element-markup.js';
import { ICONS } from './icons.js';
import { trustedHTML } from './trusted-html.js';

const STYLESHEET_URL = new URL('../css/itellico-call.css', import.meta.url).href;

/** @type {HTMLTemplateElement|undefined} */
let template;

/**
 * Fill a shadow root with the element's markup and icons; returns the parts the element draws into.
 * @param {ShadowRoot} root
 */
export function renderTemplate(root) {
  template ??= Object.assign(document.createElement('template'), { innerHTML: trustedHTML(TEMPLATE) });
  const stylesheet = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: STYLESHEET_URL });
  root.append(stylesheet, template.content.cloneNode(true));
  /** @template {Element} [T=HTMLElement] @param {string} sel @returns {T} */
  const $ = (sel) => /** @type {T} */ (/** @type {unknown} */ (root.querySelector(sel)));
  // Icons are our constants too; data-icon names come from the template above (an unknown one: no icon).
  $('.hint-icon').innerHTML = trustedHTML(ICONS.headphones);
  $('.error-icon').innerHTML = trustedHTML(ICONS.alert);
  for (const el of root.querySelectorAll('[data-icon]')) el.innerHTML = trustedHTML(ICONS[/** @type {HTMLElement} */ (el).dataset.icon ?? ''] ?? '');
  return {
    root, $,
    stylesheet,
    card: $('.card'),
    status: $('[part="status"]'),
    statusText: $('.status-text'),
    title: $('.title'),
    subtitle: $('.subtitle'),
    consent: $('[part="consent"]'),
    consentText: $('.consent-text'),
    visualizer: $('[part="visualizer"]'),
    /** @type {HTMLElement[]} */ bars: [...root.querySelectorAll('.visualizer .bar')].map((el) => /** @type {HTMLElement} */ (el)),
    agentState: $('[part="agent-state"]'),
    timer: $('[part="timer"]'),
    timerValue: $('.timer-value'),
    /** @type {HTMLButtonElement} */ callButton: $('[part="call-button"]'),
    callIcon: $('.call-icon'),
    callLabel: $('.call-label'),
    hint: $('[part="hint"]'),
    privacy: $('[part="privacy"]'),
    privacyLink: $('[part="privacy-link"]'),
    consentPrivacy: $('.consent-privacy'),
    consentPrivacyLink: $('[part="consent-privacy-link"]'),
    reconnecting: $('[part="reconnecting"]'),
    maxWarning: $('[part="max-warning"]'),
    audioBlocked: $('[part="audio-blocked"]'),
    micLost: $('[part="mic-lost"]'),
    error: $('[part="error"]'),
    summary: $('[part="summary"]'),
    controls: $('[part="controls"]'),
    muteButton: $('[part="mute-button"]'),
    meter: $('[part="mic-level"]'),
    speakerField: $('.speaker-field'),
    shortcutHint: $('[part="shortcut-hint"]'),
    transcript: $('[part="transcript"]'),
    jump: $('[part="jump-to-latest"]'),
    empty: $('[part="transcript-empty"]'),
    tools: $('.tools'),
    /** @type {HTMLFormElement} */ composer: $('[part="composer"]'),
    /** @type {HTMLInputElement} */ input: $('[part="message-input"]'),
    send: $('[part="send-button"]'),
    announcer: $('[data-announcer]'),
    sink: $('.sink'),
  };
}

/** @typedef {ReturnType<typeof renderTemplate>} ElementParts */

/**
 * Put the texts of one language in: every [data-i18n] text, [data-i18n-label] label, the placeholders.
 * @param {ElementParts} parts @param {string} lang @param {(key: string) => string} t
 */
export function translateParts(parts, lang, t) {
  parts.card.lang = lang;
  for (const el of parts.root.querySelectorAll('[data-i18n]')) el.textContent = t(/** @type {HTMLElement} */ (el).dataset.i18n ?? '');
  for (const el of parts.root.querySelectorAll('[data-i18n-label]')) {
    const label = t(/** @type {HTMLElement} */ (el).dataset.i18nLabel ?? '');
    el.setAttribute('aria-label', label);
    /** @type {HTMLElement} */ (el).title = label;
  }
  parts.input.placeholder = t('placeholder.message');
  parts.meter.setAttribute('aria-label', t('label.micLevel'));
}
