// The markup of <itellico-call>'s shadow root, apart from element-template.js (which fills a root with
// it) so that trusted-html.js can pass this constant, and nothing else, through its policy.

import { MAX_MESSAGE_CHARS } from './conversation.js';

// Constant markup only (it passes our Trusted Types policy, trusted-html.js): the stylesheet's URL, which
// depends on where the page loaded us from, is set as a property, and every text goes in with textContent.
// The privacy policy's two links (privacy-url, privacy-link.js) open a new tab: leaving would end a call.
// Focus lands on the consent's accept button when consent is asked: the text it accepts is its
// description (aria-describedby, read with it). Comments stay here, not in the markup every visitor loads.
export const TEMPLATE = `
<section class="card" part="card" hidden>
  <header class="head">
    <div class="head-text">
      <h2 class="title" part="title" id="title"></h2>
      <p class="subtitle" part="subtitle"></p>
    </div>
    <p class="status" part="status" role="status" aria-live="polite" aria-atomic="true" data-state="idle">
      <span class="status-dot" aria-hidden="true"></span><span class="status-text"></span>
    </p>
  </header>

  <div class="consent panel" part="consent" hidden>
    <h3 class="panel-title" data-i18n="consent.title"></h3>
    <p class="consent-text" id="consent-text"></p>
    <p class="fine consent-privacy" hidden><a class="privacy-link" part="consent-privacy-link" target="_blank" rel="noopener noreferrer"><span data-i18n="privacy.link"></span> <span class="sr-only" data-i18n="privacy.newTab"></span></a></p>
    <p class="fine" data-i18n="consent.remembered"></p>
    <div class="row">
      <button type="button" class="btn primary" data-action="accept" data-i18n="action.accept" aria-describedby="consent-text"></button>
      <button type="button" class="btn ghost" data-action="decline" data-i18n="action.cancel"></button>
    </div>
  </div>

  <div class="stage" part="stage">
    <div class="visualizer" part="visualizer" aria-hidden="true" data-agent-state="">
      <span class="bar"></span><span class="bar"></span><span class="bar"></span><span class="bar"></span><span class="bar"></span>
    </div>
    <p class="agent-state" part="agent-state" data-agent-state=""></p>
    <p class="timer" part="timer" hidden><span class="sr-only" data-i18n="label.timer"></span> <span class="timer-value">0:00</span></p>
    <button type="button" class="call-button" part="call-button" data-action="call">
      <span class="call-icon"></span><span class="call-label"></span>
    </button>
    <p class="hint" part="hint"><span class="hint-icon"></span><span class="hint-text" data-i18n="hint.headphones"></span></p>
    <p class="fine privacy" part="privacy" hidden><a class="privacy-link" part="privacy-link" target="_blank" rel="noopener noreferrer"><span data-i18n="privacy.link"></span> <span class="sr-only" data-i18n="privacy.newTab"></span></a></p>
  </div>

  <div class="banner warn" part="reconnecting" role="alert" hidden data-i18n="banner.reconnecting"></div>
  <div class="banner warn" part="max-warning" hidden></div>
  <div class="banner warn" part="mic-lost" role="alert" hidden>
    <span data-i18n="banner.micLost"></span>
    <button type="button" class="btn primary" data-action="retry-mic"><span class="btn-icon" data-icon="mic"></span><span data-i18n="action.retryMic"></span></button>
  </div>
  <div class="banner info" part="audio-blocked" role="alert" hidden>
    <span data-i18n="banner.audioBlocked"></span>
    <button type="button" class="btn primary" data-action="start-audio"><span class="btn-icon" data-icon="speaker"></span><span data-i18n="action.tapToHear"></span></button>
  </div>

  <div class="error panel" part="error" role="alert" hidden>
    <div class="error-head"><span class="error-icon"></span><h3 class="panel-title error-title"></h3></div>
    <p class="error-message"></p>
    <p class="error-next"></p>
    <p class="fine error-step"></p>
    <p class="fine error-ref" part="error-reference"></p>
    <div class="row">
      <button type="button" class="btn primary" data-action="retry" data-i18n="action.tryAgain"></button>
      <button type="button" class="btn secondary" data-action="switch-to-text"><span class="btn-icon" data-icon="chat"></span><span data-i18n="action.switchToText"></span></button>
    </div>
  </div>

  <div class="summary panel" part="summary" hidden>
    <h3 class="panel-title" data-i18n="summary.title"></h3>
    <p class="ended-reason"></p>
    <dl class="facts">
      <div><dt data-i18n="summary.duration"></dt><dd data-summary="duration">–</dd></div>
      <div><dt data-i18n="summary.status"></dt><dd data-summary="status">–</dd></div>
    </dl>
    <p class="fine summary-note" hidden></p>
  </div>

  <div class="controls" part="controls" hidden>
    <button type="button" class="btn toggle" part="mute-button" data-action="mute" aria-pressed="false" aria-keyshortcuts="M">
      <span class="btn-icon mute-icon"></span><span class="mute-label"></span>
    </button>
    <div class="meter" part="mic-level" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0">
      <span class="meter-fill"></span>
    </div>
    <details class="devices" part="devices">
      <summary class="btn ghost"><span class="btn-icon" data-icon="settings"></span><span data-i18n="action.settings"></span></summary>
      <div class="device-fields">
        <label class="field"><span data-i18n="label.mic"></span><select data-device="audioinput"></select></label>
        <label class="field speaker-field"><span data-i18n="label.speaker"></span><select data-device="audiooutput"></select></label>
      </div>
    </details>
  </div>
  <p class="fine shortcut-hint" part="shortcut-hint" hidden data-i18n="hint.shortcut"></p>

  <section class="conversation" part="conversation">
    <div class="conversation-head">
      <h3 class="panel-title" id="transcript-title" data-i18n="label.transcript"></h3>
      <div class="tools">
        <button type="button" class="btn tool" data-action="copy" data-i18n-label="action.copyLabel"><span class="btn-icon" data-icon="copy"></span><span data-i18n="action.copy"></span></button>
        <button type="button" class="btn tool" data-action="download-text" data-i18n-label="action.downloadTextLabel"><span class="btn-icon" data-icon="download"></span><span data-i18n="action.downloadText"></span></button>
        <button type="button" class="btn tool" data-action="download-json" data-i18n-label="action.downloadJsonLabel"><span class="btn-icon" data-icon="download"></span><span data-i18n="action.downloadJson"></span></button>
      </div>
    </div>
    <div class="transcript" part="transcript" role="log" aria-live="polite" aria-relevant="additions" aria-labelledby="transcript-title" tabindex="0"></div>
    <button type="button" class="btn secondary jump" part="jump-to-latest" data-action="jump" hidden><span data-i18n="action.jumpToLatest"></span></button>
    <p class="empty fine" part="transcript-empty" data-i18n="hint.emptyTranscript"></p>
  </section>

  <form class="composer" part="composer" hidden>
    <label class="sr-only" for="message" data-i18n="label.message"></label>
    <input id="message" class="message" part="message-input" type="text" dir="auto" autocomplete="off" enterkeyhint="send" maxlength="${MAX_MESSAGE_CHARS}">
    <button type="submit" class="btn primary send" part="send-button" data-i18n-label="action.send" aria-disabled="true"><span class="btn-icon" data-icon="send"></span></button>
  </form>

  <p class="sr-only" aria-live="polite" data-announcer></p>
  <div class="sink" hidden></div>
</section>`;
