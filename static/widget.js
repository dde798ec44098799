/*! itellico web-call widget loader. Paste on any website:
 *    <script src="https://YOUR-APP/widget.js" data-demo="your-demo" async></script>
 *  It draws a floating launcher in a shadow root (host CSS cannot reach in, ours cannot leak out) and
 *  stays light: the <itellico-call> element and livekit-client load only on intent (hover/focus warm
 *  them, a click starts the call). Options are data-* attributes (docs/widget.md); defaults come from
 *  the demo profile (GET /api/demos/<slug>/widget). One global: window.ItellicoWebCall.
 *  Classic script on purpose: no static imports, so what a page pays before a click is this file.
 */
(function () {
  'use strict';

  var NS = 'ItellicoWebCall';
  var POSITIONS = ['bottom-right', 'bottom-left'];
  var THEMES = ['auto', 'light', 'dark'];
  var MODES = ['voice', 'text'];
  var PREFIX = '[itellico web-call]';
  var TEXT = {
    en: {
      label: 'Talk to us', close: 'Close', inCall: 'In call', loading: 'Loading…',
      minimised: 'In call. The call goes on with the panel closed.', ended: 'Call ended.',
      blockedTitle: 'Calls are not available on this website',
      blockedText: 'This website is not set up for voice calls with us yet. Please let the site owner know.',
      unknownTitle: 'This assistant is not available',
      unknownText: 'The website links to an assistant that does not exist (any more).',
      failedTitle: 'The assistant could not be loaded',
      failedText: 'Please check your connection and try again.',
      retry: 'Try again',
    },
    de: {
      label: 'Mit uns sprechen', close: 'Schließen', inCall: 'Im Gespräch', loading: 'Wird geladen …',
      minimised: 'Im Gespräch. Das Gespräch läuft bei geschlossenem Fenster weiter.', ended: 'Gespräch beendet.',
      blockedTitle: 'Anrufe sind auf dieser Website nicht verfügbar',
      blockedText: 'Diese Website ist noch nicht für Sprachanrufe mit uns eingerichtet. Bitte sagen Sie dem Betreiber Bescheid.',
      unknownTitle: 'Dieser Assistent ist nicht verfügbar',
      unknownText: 'Die Website verweist auf einen Assistenten, den es nicht (mehr) gibt.',
      failedTitle: 'Der Assistent konnte nicht geladen werden',
      failedText: 'Bitte prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
      retry: 'Erneut versuchen',
    },
  };
  // Markup by DOM calls, not innerHTML: a host with Trusted Types refuses a string there, and a policy of
  // our own would be made again by each script tag (a throw without 'allow-duplicates'). The element's
  // modules use static/js/trusted-html.js; DOM calls need none, so the host lists only that one.
  var SVG_NS = 'http://www.w3.org/2000/svg';

  /** An element with attributes and children (svg and path in the SVG namespace). */
  function h(tag, attrs, children) {
    var node = tag === 'svg' || tag === 'path' ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
    Object.keys(attrs).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  /** A decorative line icon (its button carries a label). */
  function icon(size, paths) {
    return h('svg', { viewBox: '0 0 24 24', width: size, height: size, 'aria-hidden': 'true', focusable: 'false', fill: 'none',
      stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round', 'stroke-linejoin': 'round' },
    paths.map(function (d) { return h('path', { d: d }); }));
  }
  function callIcon() { return icon('22', ['M12 2a3 3 0 0 0-3 3v7a3 3 0 0 0 6 0V5a3 3 0 0 0-3-3Z', 'M19 10v2a7 7 0 0 1-14 0v-2', 'M12 19v3']); }
  function closeIcon() { return icon('20', ['M18 6 6 18M6 6l12 12']); }

  function template() {
    return h('div', { class: 'w', part: 'widget', hidden: '' }, [
      h('div', { class: 'panel', part: 'panel', role: 'dialog', hidden: '', tabindex: '-1', id: 'panel', 'aria-labelledby': 't' }, [
        h('div', { class: 'head' }, [
          h('span', { class: 'head-title', id: 't' }),
          h('button', { type: 'button', class: 'close', part: 'close-button', 'data-action': 'close' }, [closeIcon()]),
        ]),
        h('div', { class: 'notice', part: 'notice', role: 'alert', hidden: '' }, [
          h('p', { class: 'notice-title' }), h('p', { class: 'notice-text' }),
          h('button', { type: 'button', class: 'retry', 'data-action': 'retry', hidden: '' }),
        ]),
        h('p', { class: 'loading', part: 'loading', role: 'status', hidden: '' }),
        h('div', { class: 'slot' }),
      ]),
      h('button', { type: 'button', class: 'launcher', part: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'panel', 'data-action': 'toggle' }, [
        h('span', { class: 'icon' }), h('span', { class: 'label' }), h('span', { class: 'dot', 'aria-hidden': 'true' }),
      ]),
      h('p', { class: 'announce', part: 'announce', role: 'status' }),
    ]);
  }

  var script = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  var loaderOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var api = window[NS];
  if (!api || typeof api.mount !== 'function') {
    api = window[NS] = createNamespace();
  }

  function warn(message) { console.warn(PREFIX + ' ' + message); }

  /** An owner's mistake, in words fetched only then (static/js/widget-hints.js, from where this file came). */
  function hint(name, args) {
    import(loaderOrigin + '/static/js/widget-hints.js').then(function (m) { m[name].apply(null, args); }, function () {});
  }

  function optionsFromScript(tag) {
    // Marked by a property, not an attribute: Turbo Drive compares <head> tags by their markup, so a changed
    // tag counted as new and ran again on every visit (a second launcher for the demo, with a warning).
    /** @type {any} */ (tag).itellicoMounted = true;
    var d = tag.dataset;
    var variables;
    if (d.variables) {
      try { variables = JSON.parse(d.variables); } catch (e) { warn('data-variables is not valid JSON; no variables are sent'); }
    }
    var options = {
      demo: d.demo, apiBase: d.apiBase || new URL(tag.src, location.href).origin, position: d.position, label: d.label,
      theme: d.theme, accent: d.accent, lang: d.lang, mode: d.mode, variables: variables, link: d.link, initialText: d.initialText,
      privacyUrl: d.privacyUrl,
    };
    var other = Object.keys(d).filter(function (key) { return !(key in options); });
    if (other.length) hint('typos', [other, Object.keys(options)]);
    return options;
  }

  function createNamespace() {
    var widgets = [];
    // A launcher its page took out (Turbo Drive or htmx swap <body> and run its scripts again) is gone
    // for good: `widgets` and get() listed it (now pruned on each use), its start() ran a call nobody saw.
    function prune() {
      for (var i = widgets.length - 1; i >= 0; i--) {
        var w = widgets[i]; // its element, or the body it goes with (Widget._swapped), is out of the page
        if (w._attached && !(w.element.isConnected && (w._keep || w._body.isConnected))) widgets.splice(i, 1)[0].element.remove();
      }
    }
    return {
      version: '1',
      get widgets() { prune(); return widgets; },
      /** The first widget for a demo slug (or by index). */
      get: function (key) {
        prune();
        if (typeof key === 'number') return widgets[key];
        for (var i = 0; i < widgets.length; i++) if (widgets[i].demo === key) return widgets[i];
        return undefined;
      },
      /** Mount a launcher from code: ItellicoWebCall.mount({demo, apiBase, ...same options as data-*}). */
      mount: function (options) {
        prune();
        return new Widget(options || {}, widgets); // it joins `widgets` itself, before its ready event
      },
    };
  }

  /** A script tag's launcher, unless its demo has one on the page (a theme and a plugin both add the tag). */
  function mountScript(tag) {
    var options = optionsFromScript(tag);
    var demo = String(options.demo || 'default');
    if (api.get(demo)) {
      warn('a launcher for demo "' + demo + '" is already on this page, so this script tag adds none (one tag per demo)');
      return;
    }
    api.mount(options);
  }

  /**
   * The console hint for a refused origin: the origin the browser sent (window.origin), not the URL's. In
   * <iframe sandbox> without allow-same-origin it is opaque (`Origin: null`): no list allows that; say so.
   */
  function refusedOrigin(demo, apiBase) {
    if (window.origin === 'null') {
      return 'calls are not allowed for demo "' + demo + '": this page is sandboxed without allow-same-origin (<iframe sandbox> or a CSP sandbox), so its origin is ' +
        'opaque and the browser sends Origin: null, which no allowed_origins can allow. Add allow-same-origin to the sandbox, or put the widget on a page that is not sandboxed.';
    }
    return 'calls from ' + window.origin + ' are not allowed for demo "' + demo + '". Add this origin to the demo\'s allowed_origins (or to WEBCALL_ALLOWED_ORIGINS) on ' + apiBase + '.';
  }

  function pick(value, allowed, fallback) { return allowed.indexOf(value) >= 0 ? value : fallback; }
  /** A language tag's first subtag, as static/js/i18n.js takes it (de_AT: de; dev: no German). */
  function primary(tag) { return String(tag).split(/[-_]/)[0].toLowerCase(); }

  function validColour(value) { return !window.CSS || CSS.supports('color', value); }

  /** Length in code points, as the server counts ('😀' is one character, not two UTF-16 units). */
  function codePoints(value) {
    return Array.from(value).length; // a string iterates by code points: a surrogate pair is one
  }

  /**
   * The page-variable rule (webcall/demos.py page_variable_problems; static/js/page-variables.js), inline:
   * this classic script fetches nothing else before a click and warns at once. tests/unit/test_page_variables.py
   * holds it to the same cases. Only the variables the demo allows, within their length; the rest warned.
   */
  function filterVariables(input, allowed, demo) {
    /** @type {Record<string, string>} */
    var out = {};
    if (input == null) return out;
    if (typeof input !== 'object' || Array.isArray(input)) { warn('variables must be an object of names to text; none are sent'); return out; }
    Object.keys(input).forEach(function (name) {
      var value = input[name];
      if (!Object.prototype.hasOwnProperty.call(allowed, name)) {
        var names = Object.keys(allowed);
        warn('variable "' + name + '" is not allowed for demo "' + demo + '" and was not sent (allowed: ' + (names.length ? names.join(', ') : 'none') + ')');
        return;
      }
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        warn('variable "' + name + '" must be text; it was not sent');
        return;
      }
      value = String(value);
      if (codePoints(value) > allowed[name]) {
        warn('variable "' + name + '" is longer than ' + allowed[name] + ' characters; it was not sent');
        return;
      }
      out[name] = value;
    });
    return out;
  }

  function Widget(options, siblings) {
    var self = this;
    this.demo = String(options.demo || 'default');
    this._o = options;
    this._apiBase = String(options.apiBase || loaderOrigin).replace(/\/+$/, '');
    this._config = null;
    this._status = 'loading'; // loading | ready | blocked | unknown | failed
    this._rawVariables = options.variables;
    this._call = null;
    this._panelModule = null;
    this._closes = 0; // how often the panel was closed: a start pending since an earlier open is cancelled
    // An accent the browser cannot parse is the page's typo: ignore it, so the demo's own accent applies.
    this._accent = options.accent;
    if (this._accent && !validColour(this._accent)) {
      warn('data-accent "' + this._accent + '" is not a CSS colour; the demo\'s accent is used');
      this._accent = null;
    }

    if (options.position && POSITIONS.indexOf(options.position) < 0) {
      warn('data-position "' + options.position + '" is not bottom-right or bottom-left; the demo\'s corner is used');
    }
    var choices = { theme: THEMES, mode: MODES, lang: Object.keys(TEXT) };
    if (Object.keys(choices).some(function (n) { return options[n] && choices[n].indexOf(n === 'lang' ? primary(options.lang) : options[n]) < 0; })) {
      hint('values', [options, choices]);
    }

    var host = this.element = document.createElement('itellico-widget');
    host.setAttribute('data-demo', this.demo);
    this._siblings = siblings;
    this._attached = false; // in the page once; out of it after that: gone (createNamespace, prune)
    this._body = null; // the <body> it came with (attach)
    // Mounted by a script in <head> (its tag, or the page's code calling mount()): a body swap runs no head
    // script again, so the launcher stays (_swapped). From the body, from code in an event: goes with it.
    var from = document.currentScript;
    this._keep = !!(from && document.head && document.head.contains(from));
    // In ItellicoWebCall.widgets before `itellico-widget:ready` fires (at once when the body exists): a
    // ready listener's ItellicoWebCall.get(demo) finds this launcher (docs/widget.md's example).
    siblings.push(this);
    var root = this._root = host.attachShadow({ mode: 'open' });
    var sheet = document.createElement('link');
    sheet.rel = 'stylesheet';
    sheet.href = this._apiBase + '/static/css/widget.css';
    root.appendChild(sheet);
    root.appendChild(template());
    var $ = function (sel) { return root.querySelector(sel); };
    this._dom = { w: $('.w'), panel: $('.panel'), title: $('.head-title'), close: $('.close'), notice: $('.notice'),
      loading: $('.loading'), slot: $('.slot'), launcher: $('.launcher'), label: $('.label'), icon: $('.launcher .icon'),
      retry: $('.retry'), announce: $('.announce') };
    // The status line is for screen readers only: hidden by CSSOM (a strict CSP allows it; widget.css has no rule).
    Object.assign(this._dom.announce.style, { position: 'absolute', width: '1px', height: '1px', margin: '0',
      overflow: 'hidden', clipPath: 'inset(50%)', whiteSpace: 'nowrap' });
    this._icons = { call: callIcon(), close: closeIcon() }; // the launcher's two, swapped as it opens and closes

    var styled = new Promise(function (resolve) {
      sheet.addEventListener('load', resolve, { once: true });
      sheet.addEventListener('error', resolve, { once: true });
    });
    this._configured = this._loadConfig();
    Promise.all([styled, this._configured]).then(function () { self._dom.w.hidden = false; self._fit(); });

    root.addEventListener('click', function (e) {
      var clicked = /** @type {Element} */ (e.target);
      var target = clicked.closest && clicked.closest('[data-action]');
      if (!target) return;
      var action = target.getAttribute('data-action');
      if (action === 'toggle') self.toggle();
      else if (action === 'close') self.close();
      else if (action === 'retry') { self._status = 'loading'; self._configured = self._loadConfig(); self.open(); }
    });
    root.addEventListener('keydown', function (e) {
      if (/** @type {KeyboardEvent} */ (e).key === 'Escape' && !self._dom.panel.hidden) { e.stopPropagation(); self.close(); }
    });
    // At 480px and less the open panel covers the page (widget.css): a page control with visible focus
    // (Tab, typing; not a link tapped beside it) would be hidden under it (WCAG 2.4.11).
    var phone = matchMedia('(max-width: 480px)');
    this._inPage = function () {
      var at = document.activeElement;
      if (!phone.matches || !at || at === host) return false;
      // Safari before 15.4 has no :focus-visible and throws on it: there any focus in the page counts.
      try { return at.matches(':focus-visible'); } catch (e) { return at.matches(':focus'); }
    };
    document.addEventListener('focusin', function () { if (!self._dom.panel.hidden && self._inPage()) self.close(); });
    ['pointerenter', 'focus'].forEach(function (type) {
      self._dom.launcher.addEventListener(type, function () { self._warm(); });
    });
    window.addEventListener('resize', function () { if (!self._dom.panel.hidden && host.isConnected) self._fit(); });
    this._render();
    var attach = function () {
      // Beside <body>, whose `transform` would hold `position: fixed`; a swapped <body>: _swapped.
      self._body = document.body;
      document.documentElement.appendChild(host);
      new MutationObserver(function () { self._swapped(); }).observe(document.documentElement, { childList: true });
      self._attached = true;
      self._emit('ready');
    };
    if (document.body) attach();
    else document.addEventListener('DOMContentLoaded', attach, { once: true });
  }

  /**
   * The page swapped <body> (Turbo Drive, htmx, pjax): a launcher from the old body's script goes with it
   * (the new body's tag mounts a fresh one); one from <head> stays, as does its open panel and call (its
   * element never left the page), and moves after the new body if that came last.
   */
  Widget.prototype._swapped = function () {
    var host = this.element;
    var body = document.body;
    if (this._body.isConnected || !host.isConnected) return;
    if (!this._keep) host.remove();
    else if (body) {
      this._body = body;
      if (host.compareDocumentPosition(body) & Node.DOCUMENT_POSITION_FOLLOWING) document.documentElement.appendChild(host);
    }
  };

  Widget.prototype._position = function () {
    return pick(this._o.position, POSITIONS, null) || (this._config && this._config.position) || 'bottom-right';
  };

  /** data-lang, the demo's, the page's: the first it speaks (data-lang="fr" is the demo's, not English). */
  Widget.prototype._lang = function () {
    var langs = [this._o.lang, this._config && this._config.language, document.documentElement.lang, 'en'];
    for (var i = 0; !TEXT[primary(langs[i])]; i++);
    return primary(langs[i]);
  };

  Widget.prototype._t = function (key) { return TEXT[this._lang()][key]; };

  Widget.prototype._loadConfig = function () {
    var self = this;
    var url = this._apiBase + '/api/demos/' + encodeURIComponent(this.demo) + '/widget';
    return fetch(url, { credentials: 'omit', headers: { Accept: 'application/json' } })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          var code = body && body.error && body.error.code;
          if (response.ok && body && body.demo) {
            self._config = body;
            self._status = 'ready';
            self._acceptedVariables(); // warn about refused variables now, where the site owner looks
          } else if (code === 'origin_not_allowed') {
            self._status = 'blocked';
            warn(refusedOrigin(self.demo, self._apiBase));
          } else if (code === 'unknown_demo') {
            self._status = 'unknown';
            warn('there is no demo "' + self.demo + '" on ' + self._apiBase + '; check data-demo.');
          } else {
            self._status = 'failed';
            if (!code) hint('unloaded', [self.demo, url, response.status]);
          }
        });
      })
      .catch(function () {
        self._status = 'failed';
        hint('unloaded', [self.demo, url]);
      })
      .then(function () { self._render(); });
  };

  /** Hover/focus: fetch the element and livekit-client now, so the click starts without waiting. */
  Widget.prototype._warm = function () {
    if (this._status !== 'ready') return;
    this._loadPanel().then(function (m) { m.warm(); }, function () {});
  };

  Widget.prototype._loadPanel = function () {
    var self = this;
    if (!this._panelModule) {
      this._panelModule = import(this._apiBase + '/static/js/widget-panel.js').catch(function (error) {
        self._panelModule = null;
        throw error;
      });
    }
    return this._panelModule;
  };

  Widget.prototype._render = function () {
    var dom = this._dom;
    var cfg = this._config || {};
    var theme = pick(this._o.theme, THEMES, null) || pick(cfg.theme, THEMES, 'auto');
    var accent = this._accent || cfg.accent;
    var position = this._position();
    var stack = 0;
    for (var i = 0; i < this._siblings.length && this._siblings[i] !== this; i++) if (this._siblings[i]._position() === position) stack++;
    // CSSOM custom properties, not style attributes: allowed under a strict CSP. Launchers in one corner stack up;
    // on a phone all of them do (widget.css), since two in opposite corners overlapped at 320-375px.
    this.element.style.setProperty('--itellico-stack', String(stack));
    this.element.style.setProperty('--itellico-stack-any', String(i));
    dom.w.setAttribute('data-position', position);
    dom.w.setAttribute('data-theme', theme);
    dom.w.setAttribute('data-status', this._status);
    dom.w.lang = this._lang(); // our words' language, not the page's: a screen reader's voice
    if (accent && validColour(accent)) this.element.style.setProperty('--itellico-accent', accent);
    var open = !dom.panel.hidden;
    var callState = this._call ? this._call.state : 'idle';
    var inCall = ['requesting-mic', 'connecting', 'waiting-for-agent', 'in-call', 'ending'].indexOf(callState) >= 0;
    dom.w.setAttribute('data-call-state', callState);
    this.element.setAttribute('data-state', open ? 'open' : 'closed');
    this.element.setAttribute('data-call-state', callState);
    // The WAI-ARIA disclosure pattern: the launcher keeps its name (aria-label: open, the label is hidden);
    // aria-expanded + aria-controls say what it does. Named "Close" when open, it doubled the panel's Close.
    dom.launcher.setAttribute('aria-expanded', String(open));
    var minimised = inCall && !open;
    dom.label.textContent = minimised ? this._t('inCall') : (this._o.label || cfg.label || this._t('label'));
    dom.launcher.setAttribute('aria-label', dom.label.textContent);
    // "In call" is a change of name, which screen readers do not read out (the launcher that closed the panel
    // keeps the focus): a polite status says it once per closing, not on each call state, emptied after.
    if (minimised !== this._minimised) {
      this._minimised = minimised;
      dom.announce.textContent = minimised ? this._t('minimised') : '';
    }
    var shown = open ? this._icons.close : this._icons.call;
    if (dom.icon.firstChild !== shown) { dom.icon.textContent = ''; dom.icon.appendChild(shown); }
    dom.close.setAttribute('aria-label', this._t('close'));
    dom.close.title = this._t('close');
    dom.title.textContent = cfg.company || cfg.title || dom.label.textContent;
    dom.retry.textContent = this._t('retry');
    dom.loading.textContent = this._t('loading');
    var problem = this._status;
    var code = { blocked: 'origin_not_allowed', unknown: 'unknown_demo', failed: 'load_failed' }[problem];
    dom.notice.hidden = !code;
    dom.retry.hidden = problem !== 'failed';
    if (code) {
      dom.notice.setAttribute('data-code', code);
      dom.notice.querySelector('.notice-title').textContent = this._t(problem + 'Title');
      dom.notice.querySelector('.notice-text').textContent = this._t(problem + 'Text');
    }
    this._fit();
  };

  /**
   * The open panel within the window on a host page with CSS zoom (`html { zoom: 1.5 }`): viewport units
   * are zoomed too, so widget.css's `calc(100vh - …)` ran it off the top. No CSS unit escapes the zoom: the
   * limits are the room above its bottom edge (and beside its corner) divided by the zoom.
   */
  Widget.prototype._fit = function () {
    var panel = this._dom.panel;
    var style = panel.style;
    style.removeProperty('max-height');
    style.removeProperty('max-width');
    if (panel.hidden) return;
    var box = panel.getBoundingClientRect();
    var css = /** @type {any} */ (panel).currentCSSZoom; // where the browser has it; else measured
    var zoom = typeof css === 'number' ? css : panel.offsetWidth ? box.width / panel.offsetWidth : 1;
    if (!zoom || Math.abs(zoom - 1) < 0.01) return;
    var margin = 24; // the panel's px from the window's edge, as widget.css keeps above it
    var stylesheet = parseFloat(getComputedStyle(panel).maxHeight) || Infinity; // its 680px cap (unzoomed px)
    style.setProperty('max-height', Math.max(0, Math.min(stylesheet, box.bottom / zoom - margin)) + 'px');
    if (box.left < 0 || box.right > window.innerWidth) {
      var room = this._position() === 'bottom-left' ? window.innerWidth - box.left : box.right;
      style.setProperty('max-width', Math.max(0, room / zoom - margin) + 'px');
    }
  };

  Widget.prototype._ensureCall = function () {
    if (this._call) return this._call;
    var self = this;
    var cfg = this._config || {};
    var el = document.createElement('itellico-call');
    var attrs = {
      demo: this.demo,
      'api-base': this._apiBase,
      mode: pick(this._o.mode, MODES, null) || pick(cfg.mode, MODES, 'voice'),
      lang: this._lang(),
      'agent-lang': cfg.language, // the agent's lines are in the demo's language, whatever data-lang says
      theme: pick(this._o.theme, THEMES, null) || pick(cfg.theme, THEMES, 'auto'),
      'title-text': cfg.title,
      'agent-name': cfg.agent_name,
      'consent-text': cfg.consent_text,
      'max-call-seconds': cfg.max_call_seconds,
      link: this._o.link,
      'initial-text': this._o.initialText,
      // The site's own privacy policy, linked where the visitor decides to talk (the element checks it).
      'privacy-url': this._o.privacyUrl,
    };
    Object.keys(attrs).forEach(function (name) {
      if (attrs[name] != null && attrs[name] !== '') el.setAttribute(name, String(attrs[name]));
    });
    el.variables = this._acceptedVariables();
    el.addEventListener('itellico-call:state', function () { self._render(); });
    el.addEventListener('itellico-call:ended', function (e) {
      // A call that ended by itself while minimised (the connection dropped, the agent hung up, the
      // maximum length) shows why: the launcher only turned back into "Talk to us", unnoticed. Not
      // the visitor's or the page's own hang-up or cancel. Focus stays where the visitor is; the
      // status says it where the panel would cover that focus (_inPage).
      var reason = e.detail && e.detail.reason;
      if (self._dom.panel.hidden && reason !== 'hangup' && reason !== 'cancelled') {
        if (self._inPage()) self._dom.announce.textContent = self._t('ended');
        else self._show();
      }
    });
    this._dom.slot.appendChild(el);
    this._call = el;
    return el;
  };

  /** @returns {Record<string, string>} the page's variables that the demo allows */
  Widget.prototype._acceptedVariables = function () {
    if (!this._config) {
      // Without the config no name is known to be allowed, and the problem is the config, not the name: the
      // origin or the demo (warned when it loaded) or a failed load. Not cached: "Try again" checks them.
      if (this._status === 'failed' && this._rawVariables != null) warn('the widget config of demo "' + this.demo + '" could not be loaded from ' + this._apiBase + '; variables are checked and sent once it loads');
      return {};
    }
    if (this._accepted === undefined) this._accepted = filterVariables(this._rawVariables, this._config.variables || {}, this.demo);
    return this._accepted;
  };

  // The public API.

  Object.defineProperty(Widget.prototype, 'state', {
    get: function () { return this._call ? this._call.state : 'idle'; },
  });

  /** Open the panel; `start` (default true) also starts a call when none has been made yet. */
  Widget.prototype.open = function (start) {
    var self = this;
    var dom = this._dom;
    var closes = this._closes;
    this._show(true);
    return this._configured.then(function () {
      if (self._status !== 'ready') return false;
      dom.loading.hidden = false;
      return self._loadPanel().then(function () {
        dom.loading.hidden = true;
        var el = self._ensureCall();
        self._render();
        // Closed while the config or the call UI loaded (a slow link): the visitor said no, so no microphone.
        if (self._closes !== closes) return false;
        return start !== false && el.state === 'idle' ? el.start() : false;
      }, function () {
        dom.loading.hidden = true;
        self._status = 'failed';
        self._render();
        return false;
      });
    });
  };

  /** Show the panel (focus on it, or not: the call UI is there); the event once per opening. */
  Widget.prototype._show = function (focus) {
    var panel = this._dom.panel;
    var was = panel.hidden;
    panel.hidden = false;
    this._render();
    if (focus) panel.focus();
    if (was) this._emit('open');
  };

  Widget.prototype._emit = function (name) {
    this.element.dispatchEvent(new CustomEvent('itellico-widget:' + name, { bubbles: true, detail: { demo: this.demo } }));
  };

  /** Close (minimise) the panel; a running call goes on, the launcher says so. */
  Widget.prototype.close = function () {
    // Focus in the widget goes to the launcher; elsewhere (the page's code closed it) it stays.
    var ours = this._root.activeElement;
    this._closes++;
    this._dom.panel.hidden = true;
    this._render();
    if (ours) this._dom.launcher.focus();
    this._emit('close');
  };

  Widget.prototype.toggle = function () {
    return this._dom.panel.hidden ? this.open(true) : this.close();
  };

  /** Open the panel and start a call (after the consent text, when the demo has one). */
  Widget.prototype.start = function () {
    var self = this;
    var closes = this._closes;
    return this.open(false).then(function () { return self._call && self._closes === closes ? self._call.start() : false; });
  };

  Widget.prototype.end = function () { return this._call ? this._call.end() : undefined; };
  Widget.prototype.sendText = function (text) { return this._call ? this._call.sendText(text) : Promise.resolve(false); };
  Widget.prototype.setMuted = function (muted) { return this._call ? this._call.setMuted(muted) : Promise.resolve(); };

  /** Variables for the next call; only names the demo allows (within their length) are kept. */
  Widget.prototype.setVariables = function (variables) {
    var self = this;
    this._rawVariables = variables;
    this._accepted = undefined;
    return this._configured.then(function () {
      var accepted = self._acceptedVariables();
      if (self._call) self._call.variables = accepted;
      return Object.assign({}, accepted);
    });
  };

  // Mount last: everything above (the Widget prototype) must exist first.
  if (script && script.dataset && script.dataset.demo !== undefined) {
    mountScript(script);
  } else if (script) {
    // No data-demo: the page wants only window.ItellicoWebCall, to mount launchers from code (data-demo=""
    // is the default demo). A forgotten attribute would show nothing at all, so once the page has loaded
    // and no launcher exists, say what is missing (once per page, however many such tags).
    var check = function () {
      setTimeout(function () {
        if (api.widgets.length || api._toldNoDemo) return;
        api._toldNoDemo = true;
        warn('widget.js was loaded without data-demo, so no launcher is shown: add data-demo="your-demo" to its script tag, or call ItellicoWebCall.mount({demo: \'your-demo\'})');
      });
    };
    if (document.readyState === 'complete') check();
    else window.addEventListener('load', check, { once: true });
  } else {
    // Loaded in a way that hides document.currentScript: mount every tag that names a demo, once.
    var tags = document.querySelectorAll('script[data-demo][src*="widget.js"]');
    for (var i = 0; i < tags.length; i++) if (!(/** @type {any} */ (tags[i]).itellicoMounted)) mountScript(tags[i]);
  }
})();
