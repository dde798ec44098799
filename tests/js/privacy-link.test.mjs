// The privacy-url rule of <itellico-call> (static/js/privacy-link.js): only an absolute http(s) address
// becomes a link; anything else shows none and tells the site's owner once. In Chromium, with the
// element's shadow DOM, the launcher and the embed page: tests/e2e/test_privacy_link.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CALL_STATES } from '../../static/js/call-state.js';
import { PrivacyLinks, privacyHref } from '../../static/js/privacy-link.js';

test('an absolute http(s) address is a link', () => {
  assert.equal(privacyHref('https://www.example.com/datenschutz'), 'https://www.example.com/datenschutz');
  assert.equal(privacyHref('http://localhost:8080/privacy?lang=de#cookies'), 'http://localhost:8080/privacy?lang=de#cookies');
  assert.equal(privacyHref('HTTPS://Example.COM'), 'https://example.com/', 'kept as the browser reads it');
});

test('anything else is no link', () => {
  for (const value of [
    null, undefined, '',
    'javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)',
    'data:text/html,<p>hi</p>', 'mailto:privacy@example.com', 'ftp://example.com/privacy',
    '/privacy', 'privacy.html', '//example.com/privacy', 'www.example.com/privacy',
    'https:example.com/privacy', // the browser would read it as https://example.com/, a typo all the same
    'https://', 'http://exa mple.com/', 'https://example.com/\nprivacy', ' https://example.com/privacy',
    'https://user:secret@example.com/privacy', // every visitor would read the password
    'https://[::1/privacy',
  ]) {
    assert.equal(privacyHref(value), null, String(value));
  }
});

/** The two places the element shows the link: the fine print at the call button, the consent step. */
function fakeParts() {
  const anchor = () => {
    const attrs = new Map();
    return {
      attrs,
      setAttribute: (name, value) => attrs.set(name, value),
      removeAttribute: (name) => attrs.delete(name),
      get href() { return attrs.get('href') ?? ''; },
    };
  };
  return {
    privacy: { hidden: true },
    privacyLink: anchor(),
    consentPrivacy: { hidden: true },
    consentPrivacyLink: anchor(),
  };
}

test('a valid address shows at the call button before and between calls, and in the consent step', () => {
  const parts = fakeParts();
  const links = new PrivacyLinks(/** @type {any} */ (parts));
  const href = 'https://www.example.com/datenschutz';
  for (const state of CALL_STATES) {
    links.render(href, state);
    const between = ['idle', 'ended', 'error'].includes(state);
    assert.equal(parts.privacy.hidden, !between, `the fine print in ${state}`);
    assert.equal(parts.consentPrivacy.hidden, false, `the consent step's (it shows only before a call) in ${state}`);
    assert.equal(parts.privacyLink.href, href);
    assert.equal(parts.consentPrivacyLink.href, href);
  }
});

test('a bad address shows no link and warns once, however often the element draws', (t) => {
  const warned = t.mock.method(console, 'warn', () => {});
  const parts = fakeParts();
  const links = new PrivacyLinks(/** @type {any} */ (parts));
  links.render('https://www.example.com/privacy', 'idle');
  for (let i = 0; i < 3; i++) links.render('javascript:alert(1)', 'idle');
  assert.equal(parts.privacy.hidden, true);
  assert.equal(parts.consentPrivacy.hidden, true);
  assert.equal(parts.privacyLink.attrs.has('href'), false, 'no address left on the hidden link');
  assert.equal(parts.consentPrivacyLink.attrs.has('href'), false);
  assert.equal(warned.mock.callCount(), 1);
  const [line] = warned.mock.calls[0].arguments;
  assert.match(line, /^\[itellico web-call\] privacy-url "javascript:alert\(1\)" is not an absolute http\(s\) URL/);
  links.render('/privacy', 'idle');
  assert.equal(warned.mock.callCount(), 2, 'another bad value is told too');
  links.render(null, 'idle');
  links.render('', 'idle');
  assert.equal(warned.mock.callCount(), 2, 'no attribute is nothing to tell');
  assert.equal(parts.privacy.hidden, true);
});
