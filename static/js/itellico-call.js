// <itellico-call>: the click-to-talk UI over CallSession. Importing this module defines the element.
//
// Configuration is by attributes (demo, mode, lang, theme, api-base, consent-text, max-call-seconds, link,
// initial-text, privacy-url); the public API is properties, methods and bubbling, composed `itellico-call:*`
// events (see docs/widget.md). Everything lives in an open shadow root (element-template.js) so host CSS
// cannot leak in. livekit-client is not loaded until the person shows intent (hover/focus warms it, click
// starts). Parts: session-bridge.js (making and hearing the session), element-view.js (drawing:
// call-chrome.js, transcript-view.js, error-panel.js, summary-panel.js, privacy-link.js),
// transcript-actions.js, consent-prompt.js, device-choice.js + device-picker.js, page-listeners.js (keys,
// visibility, removal), owner-hints.js (the console lines for the site's owner).

import { CallEvent } from './call-events.js';
import { CallSession, warmUpCall } from './call-session.js';
import { isActive, isStarting } from './call-state.js';
import { ConsentPrompt } from './consent-prompt.js';
import { DeviceChoice } from './device-choice.js';
import { renderTemplate } from './element-template.js';
import { ElementView } from './element-view.js';
import { END_REASONS } from './errors.js';
import { createTranslator, loadLanguage, resolveLanguage } from './i18n.js';
import { PageListeners, whenRemoved } from './page-listeners.js';
import { CONFIRM_LEAVE, LeaveGuard } from './leave-guard.js';
import { hintAttributes, hintRefusedCall, warn } from './owner-hints.js';
import { textVariables } from './page-variables.js';
import { RepeatClickGuard, isHeldKey } from './repeat-click.js';
import { apiBaseOf, bridgeSession, sessionOptions } from './session-bridge.js';
import { runTranscriptAction } from './transcript-actions.js';

/**
 * @typedef {import('./call-events.js').CallState} CallState
 * @typedef {import('./call-events.js').AgentState} AgentState
 * @typedef {import('./call-events.js').ErrorDetail} ErrorDetail
 * @typedef {import('./call-events.js').EndedDetail} EndedDetail
 * @typedef {import('./transcript.js').TranscriptEntry} TranscriptEntry
 */

export class ItellicoCallElement extends HTMLElement {
  static observedAttributes = ['lang', 'mode', 'theme', 'consent-text', 'agent-name', 'title-text', 'privacy-url', CONFIRM_LEAVE];

  /** @type {CallSession|null} */ #session = null;
  /** @type {CallState} */ #state = 'idle';
  /** @type {AgentState|null} */ #agentState = null;
  /** @type {TranscriptEntry[]} */ #entries = [];
  /** @type {ErrorDetail|null} */ #lastError = null;
  /** @type {EndedDetail|null} */ #lastEnded = null;
  #muted = false;
  /** The visitor chose typing after a microphone error: the next call after that chat is by voice. */
  #typingInstead = false;
  #tr = createTranslator('en');
  /** @type {Record<string, string>|undefined} */ #variables = undefined;
  #repeatClicks = new RepeatClickGuard();
  #leave = new LeaveGuard(this); // confirm-leave: the browser asks before a reload ends the call
  /** @param {string} key @param {object} [params] */
  #t = (key, params) => this.#tr.t(key, params);
  #dom;
  #view;
  #consent;
  #devices;
  #page = new PageListeners(this, {
    // Only a call in sight: in a launcher's closed panel, M muted or unmuted it with nothing on screen.
    canMuteByKey: () => this.#state === 'in-call' && this.#effectiveMode() === 'voice' && (this.checkVisibility?.() ?? true),
    // Focus is elsewhere, so nothing reads the button's new state: say it.
    toggleMute: async () => {
      await this.setMuted(!this.#muted);
      this.#view.chrome.announce(this.#t(this.#muted ? 'announce.muted' : 'announce.unmuted'));
    },
    // The browser drops a wake lock when the tab is hidden; take it again when the person comes back.
    onVisible: () => { if (this.#state === 'in-call') this.#view.chrome.acquireWakeLock(); },
    onNetwork: () => this.#render(),
  });

  constructor() {
    super();
    const dom = renderTemplate(this.attachShadow({ mode: 'open' }));
    this.#dom = dom;
    this.#view = new ElementView(this, dom, this.#t, { speakerLabels: () => this.#speakerLabels(), isError: () => this.#state === 'error' });
    this.#consent = new ConsentPrompt(dom);
    this.#devices = new DeviceChoice(dom, this.#t);
    dom.root.addEventListener('click', (e) => this.#onClick(/** @type {MouseEvent} */ (e)));
    dom.root.addEventListener('keydown', (e) => { if (isHeldKey(/** @type {KeyboardEvent} */ (e))) e.preventDefault(); });
    dom.root.addEventListener('change', (e) => this.#devices.onChange(e, this.#session));
    dom.composer.addEventListener('submit', (e) => { e.preventDefault(); this.#submitText(); });
    dom.input.addEventListener('input', () => this.#syncSend());
    // Warm up when the person is about to click, not on page load: livekit-client, the permission state.
    for (const type of ['pointerenter', 'focus']) {
      dom.callButton.addEventListener(type, () => warmUpCall(), { once: true });
      // A catalogue that could not be fetched (offline) is tried again then, as livekit-client is.
      dom.callButton.addEventListener(type, () => { if (!this.#tr.ready) this.#applyLanguage(); });
    }
    this.#upgradeProperties();
  }

  /**
   * A page's script that ran before this module defined the element (docs/widget.md's one-liner after the
   * module tag: a module script is deferred) set `variables` or `mode` as plain properties of the element,
   * which hide the class's: the call went out without the variables, silently. Set them again through
   * the class (the usual lazy-property upgrade of custom elements).
   */
  #upgradeProperties() {
    for (const name of ['variables', 'mode']) {
      if (!Object.hasOwn(this, name)) continue;
      const value = Reflect.get(this, name);
      Reflect.deleteProperty(this, name);
      Reflect.set(this, name, value);
    }
  }

  connectedCallback() {
    hintAttributes(this); // `data-demo` and the like: read by nothing, said once
    this.#applyLanguage();
    this.#page.attach();
    this.#render();
  }

  disconnectedCallback() {
    this.#page.detach();
    // Moved (single-page apps re-parent elements): the call goes on. Removed: no live microphone, wake
    // lock or ticking timer stays behind. The page ended it, not the person ("You ended the call." met an
    // element an SPA put back).
    whenRemoved(this, () => {
      this.#consent.settle(false); // a start() waiting for the consent step: no call comes
      this.#session?.end(END_REASONS.removed);
      this.#view.stop();
    });
  }

  attributeChangedCallback(/** @type {string} */ name) {
    if (name === 'lang') this.#applyLanguage();
    this.#leave.sync(this.#state);
    if (this.#dom) this.#render();
  }

  // ── public API ─────────────────────────────────────────────────────────────

  /** The call state: idle, requesting-mic, connecting, waiting-for-agent, in-call, ending, ended, error. */
  get state() { return this.#state; }
  /** initializing, idle, listening, thinking, speaking, or null outside a call. */
  get agentState() { return this.#agentState; }
  /** The backend's id of the current (or last) call, or null. */
  get callId() { return this.#session?.callId ?? null; }
  /** The lines so far: [{id, role, text, final, source, timestamp}]. */
  get transcript() { return this.#entries.map((e) => ({ ...e })); }
  get muted() { return this.#muted; }
  /** Values for the agent's variables, as text (only names the demo allows reach it). Set before start(). */
  get variables() { return this.#variables; }
  set variables(value) {
    if (value == null) {
      this.#variables = undefined;
      return;
    }
    // The page-variable rule, as the widget and the iframe bridge apply it: the server refuses a whole
    // call over one value that is not text. Names and lengths only the server knows (the demo's list).
    const checked = textVariables(value);
    if (!checked) warn('variables must be an object of names to text; none are sent');
    for (const r of checked?.rejected ?? []) warn(`variable "${r.name}" was not sent: ${r.reason}`);
    this.#variables = checked?.accepted;
  }

  /** @returns {'voice'|'text'} */
  get mode() { return this.getAttribute('mode') === 'text' ? 'text' : 'voice'; }
  set mode(value) { this.setAttribute('mode', value === 'text' ? 'text' : 'voice'); }

  /** Start a call (asks for consent first when a consent text is set and not yet accepted). */
  async start() {
    // Out of the document nothing shows the call or can end it (a page that swapped its <body> ran a
    // whole voice call, microphone live, unseen): removing the element ends its call, so none starts.
    if (!this.isConnected) {
      warn('start() on an element that is not in the document: no call is started');
      return false;
    }
    if (!this.#tr.ready) this.#applyLanguage(); // its catalogue did not come (offline): once more
    if (isActive(this.#state)) return false;
    // The consent step shows: the call starts from its Accept (inside that click), not from here.
    if (this.#consent.ask(this.getAttribute('consent-text'))) return this.#consent.outcome();
    return this.#startSession();
  }

  /** Hang up, cancel a call that is still connecting, or withdraw one the consent step holds. */
  end() {
    this.#consent.withdraw();
    return this.#session?.end();
  }

  /** Send typed text to the agent during a call. Resolves true when sent. @param {string} text */
  sendText(text) {
    return this.#session?.sendText(text) ?? Promise.resolve(false);
  }

  /** Mute (true) or unmute (false) the microphone. @param {boolean} muted */
  async setMuted(muted) {
    this.#muted = Boolean(muted);
    await this.#session?.setMuted(this.#muted);
    this.#view.chrome.renderMute(this.#muted);
  }

  /** Diagnostics: inbound audio counters and the selected ICE pair (see CallSession#getConnectionStats). */
  getConnectionStats() {
    return this.#session?.getConnectionStats() ?? Promise.resolve(null);
  }

  // ── session wiring ─────────────────────────────────────────────────────────

  #newSession() {
    const session = new CallSession(sessionOptions(this, this.mode, this.#variables));
    bridgeSession(session, this, () => this.#session === session, {
      [CallEvent.State]: (d) => this.#onState(d.state),
      [CallEvent.AgentState]: (d) => { this.#agentState = d.agentState; this.#view.renderAgentState(this.#state, this.#agentState); },
      [CallEvent.Transcript]: (d) => {
        this.#entries = d.entries;
        this.#view.transcript.render(this.#entries);
        // The box being typed in stays in sight as lines grow above it (a phone's keyboard leaves little room).
        if (this.#dom.root.activeElement === this.#dom.input) this.#dom.input.scrollIntoView({ block: 'nearest' });
      },
      [CallEvent.Error]: (d) => this.#onError(d),
      [CallEvent.Ended]: (d) => this.#onEnded(d),
      [CallEvent.Muted]: (d) => { this.#muted = d.muted; this.#view.chrome.renderMute(this.#muted); },
      [CallEvent.DevicesChanged]: () => this.#devices.fill(this.#session, this.mode),
      ...this.#view.handlers(() => this.#muted),
    }, this.#state); // the state this call starts from, for the host's first `itellico-call:state`
    return session;
  }

  #startSession() {
    this.#consent.hide();
    const session = this.#newSession();
    this.#session = session;
    this.#entries = [];
    this.#lastError = null;
    this.#lastEnded = null;
    this.#view.reset();
    // Nothing is awaited before start(): it unlocks audio and must run inside the click (Safari).
    // Before a call both only record the choice, synchronously.
    if (this.#muted) session.setMuted(true);
    this.#devices.applyTo(session);
    return session.start();
  }

  /** @param {CallState} state */
  #onState(state) {
    this.#state = state;
    this.#leave.sync(state);
    if (state === 'in-call') {
      this.#view.callUp(() => this.#view.renderClock(this.#session, this.#state));
      this.#devices.fill(this.#session, this.mode);
    }
    if (!isActive(state)) {
      this.#view.callDown();
      this.#agentState = null;
      this.#view.renderAgentState(state, null);
    }
    this.#render();
    // In text mode the message box is the next thing to use (focus only after render un-hides it).
    if (state === 'in-call' && this.#effectiveMode() === 'text') this.#dom.input.focus();
  }

  /** @param {ErrorDetail} detail */
  #onError(detail) {
    this.#view.showError(detail); // a fatal one arms the panel; others are announced
    hintRefusedCall(detail, this.getAttribute('demo') || 'default', apiBaseOf(this) || self.origin);
    if (!detail.fatal) return;
    this.#lastError = detail;
    this.#render();
  }

  /** @param {EndedDetail} detail */
  #onEnded(detail) {
    this.#lastEnded = detail;
    // The chat "Continue by typing" started is over: "Call again" is by voice, the microphone may be
    // allowed by now (it stayed text for good). A failed one keeps typing for its "Try again".
    if (this.#typingInstead && detail.reason !== 'failed') {
      this.#typingInstead = false;
      this.mode = 'voice';
    }
    this.#view.ended(detail, this.#session, this.#tr, this.#entries);
    this.#render();
  }

  // ── interaction ────────────────────────────────────────────────────────────

  /** @param {MouseEvent} event */
  #onClick(event) {
    const button = /** @type {HTMLButtonElement|null} */ (/** @type {Element} */ (event.target).closest?.('[data-action]'));
    // aria-disabled: switched off but still focusable (the call button while the call ends), so focus stays.
    if (!button || button.disabled || button.getAttribute('aria-disabled') === 'true') return;
    switch (button.dataset.action) {
      case 'call':
        if (this.#repeatClicks.isRepeat(event, isStarting(this.#state))) break;
        // Synchronously into session.start(): it unlocks audio inside this click.
        if (isActive(this.#state)) this.end();
        else {
          this.start();
          this.#repeatClicks.acted(event, isActive(this.#state));
        }
        break;
      case 'accept':
        this.#consent.accept(this.getAttribute('consent-text'));
        this.#consent.settle(this.#startSession());
        break;
      case 'decline':
        this.#consent.decline();
        break;
      case 'retry':
        this.start();
        break;
      case 'jump':
        this.#view.transcript.jumpToLatest();
        break;
      case 'switch-to-text':
        this.mode = 'text';
        // A page that forbids the microphone (mic_blocked_by_page) forbids it for the next call too.
        this.#typingInstead = this.#lastError?.code !== 'mic_blocked_by_page';
        this.start();
        break;
      case 'start-audio':
        // Must run synchronously inside the tap: autoplay rules only honour a direct user gesture.
        this.#session?.startAudio();
        break;
      case 'mute':
        this.setMuted(!this.#muted);
        break;
      case 'retry-mic':
        this.#session?.retryMicrophone();
        break;
      case 'copy':
      case 'download-text':
      case 'download-json':
        runTranscriptAction(button.dataset.action, {
          entries: this.#entries,
          labels: this.#speakerLabels(),
          callId: this.callId,
          sink: this.#dom.sink,
          announce: (message) => this.#view.chrome.announce(message),
          t: this.#t,
        });
        break;
      default:
    }
  }

  async #submitText() {
    const input = this.#dom.input;
    const text = input.value.trim();
    if (!text) return;
    // Cleared at once: the line shows in the transcript, and sending may wait for the agent
    // (conversation.js); put back if it was not sent and nothing new was typed meanwhile.
    input.value = '';
    this.#syncSend();
    if (!(await this.sendText(text)) && !input.value) input.value = text;
    this.#syncSend();
  }

  /** Send says when the box holds nothing to send; aria-disabled, so it keeps focus (a submit is a no-op then). */
  #syncSend() {
    this.#dom.send.setAttribute('aria-disabled', String(!this.#dom.input.value.trim()));
  }

  // ── rendering ──────────────────────────────────────────────────────────────

  /** @param {boolean} [load] fetch the language's catalogue if it is not here yet */
  #applyLanguage(load = true) {
    const lang = resolveLanguage(this.getAttribute('lang'), globalThis.navigator?.languages ?? []);
    this.#tr = createTranslator(lang);
    // Fetched now, alongside the element's stylesheet; the card shows once both are in (element-view.js).
    if (load && !this.#tr.ready) {
      this.#view.showAfter(loadLanguage(lang).then(() => {
        this.#applyLanguage(false);
        this.#render();
      }));
    }
    this.#view.translate(this.#tr.lang, this.#facts(), this.#entries);
  }

  #render() {
    this.#view.render(this.#facts());
  }

  /** What the view draws. @returns {import('./element-view.js').ViewFacts} */
  #facts() {
    return {
      state: this.#state,
      voice: this.#effectiveMode() === 'voice',
      agentState: this.#agentState,
      muted: this.#muted,
      title: this.getAttribute('title-text') || this.#agentName() || this.#t('title'),
      session: this.#session,
      lastError: this.#lastError,
      lastEnded: this.#lastEnded,
      tr: this.#tr,
    };
  }

  /** The running call's mode wins over the attribute, which may change mid-call and applies to the next call. */
  #effectiveMode() {
    return isActive(this.#state) && this.#session ? this.#session.mode : this.mode;
  }

  #speakerLabels() {
    return { agent: this.#agentName() || this.#t('label.agent'), user: this.#t('label.you') };
  }

  /** The page's name for the agent (a demo's display name) wins over the agent's own, known once the call is up. */
  #agentName() {
    return this.getAttribute('agent-name') || this.#session?.agentName || null;
  }
}

// Defined once per page. Another definition first (the page's own element of that name, or this module
// from a second address): that one is used, and a page showing nothing that works is told why.
const defined = customElements.get('itellico-call');
if (!defined) customElements.define('itellico-call', ItellicoCallElement);
else if (defined !== ItellicoCallElement) {
  warn('<itellico-call> is already defined on this page by another script (or this one from a second address): that definition is used, not this one');
}
