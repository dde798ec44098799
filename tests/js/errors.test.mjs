import test from 'node:test';
import assert from 'node:assert/strict';
import { ERRORS, STEPS, END_REASONS, endReasonForDisconnect, knownCode, micErrorCode } from '../../static/js/errors.js';
import { describeError, detectBrowser } from '../../static/js/error-messages.js';
import { allCatalogues, createTranslator } from '../../static/js/i18n.js';

const CATALOGUES = await allCatalogues();

const dom = (name) => Object.assign(new Error(name), { name });

test('microphone errors map from DOMException names and livekit failures', () => {
  assert.equal(micErrorCode(dom('NotAllowedError')), 'mic_denied');
  assert.equal(micErrorCode(dom('NotFoundError')), 'mic_not_found');
  assert.equal(micErrorCode(dom('NotReadableError')), 'mic_in_use');
  assert.equal(micErrorCode(dom('TypeError')), 'mic_failed');
  assert.equal(micErrorCode(new Error('x'), 'PermissionDenied'), 'mic_denied');
  assert.equal(micErrorCode(new Error('x'), 'DeviceInUse'), 'mic_in_use');
  assert.equal(micErrorCode(undefined), 'mic_failed');
});

test('disconnect reasons map to end reasons', () => {
  assert.equal(endReasonForDisconnect(1), END_REASONS.hangup);
  assert.equal(endReasonForDisconnect(undefined, { clientInitiated: true }), END_REASONS.hangup);
  assert.equal(endReasonForDisconnect(5), END_REASONS.agentEnded); // ROOM_DELETED
  assert.equal(endReasonForDisconnect(4), END_REASONS.agentEnded); // PARTICIPANT_REMOVED
  assert.equal(endReasonForDisconnect(14), END_REASONS.dropped); // CONNECTION_TIMEOUT
  assert.equal(endReasonForDisconnect(undefined), END_REASONS.dropped);
});

test('unknown codes become unknown_error', () => {
  assert.equal(knownCode('rate_limited'), 'rate_limited');
  assert.equal(knownCode('something_new'), 'unknown_error');
});

test('every code has a title, a message and a next step in English and German', () => {
  for (const lang of ['en', 'de']) {
    for (const code of Object.keys(ERRORS)) {
      for (const part of ['title', 'message']) assert.ok(Object.hasOwn(CATALOGUES[lang], `error.${code}.${part}`), `${lang} ${code}.${part}`);
      if (code === 'mic_denied') {
        for (const b of ['chrome', 'firefox', 'safari', 'other']) assert.ok(Object.hasOwn(CATALOGUES[lang], `error.mic_denied.next.${b}`), `${lang} ${b}`);
      } else {
        assert.ok(Object.hasOwn(CATALOGUES[lang], `error.${code}.next`), `${lang} ${code}.next`);
      }
    }
    for (const step of Object.values(STEPS)) assert.ok(Object.hasOwn(CATALOGUES[lang], `step.${step}`), `${lang} step ${step}`);
    for (const reason of Object.values(END_REASONS)) assert.ok(Object.hasOwn(CATALOGUES[lang], `ended.${reason}`), `${lang} ended ${reason}`);
  }
});

test('browser detection for the permission steps', () => {
  const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
  const edge = `${chrome} Edg/126.0`;
  const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
  const safari = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
  assert.equal(detectBrowser(chrome), 'chrome');
  assert.equal(detectBrowser(edge), 'chrome');
  assert.equal(detectBrowser(firefox), 'firefox');
  assert.equal(detectBrowser(safari), 'safari');
  assert.equal(detectBrowser('curl/8'), 'other');
});

test('describeError: mic denied gives browser steps and offers text', () => {
  const { t } = createTranslator('en');
  const d = describeError({ code: 'mic_denied', step: 'microphone' }, t, { browser: 'firefox' });
  assert.equal(d.title, 'Microphone access is blocked');
  assert.match(d.next, /microphone icon in the address bar/);
  assert.equal(d.offerText, true);
  assert.equal(d.step, 'Failed while asking for the microphone.');
});

test('describeError: rate limited says when to retry; misconfigured says the owner must fix it', () => {
  const { t } = createTranslator('de');
  assert.equal(describeError({ code: 'rate_limited', retryAfter: 12.2 }, t).next, 'Bitte versuchen Sie es in 13 Sekunden erneut.');
  assert.equal(describeError({ code: 'rate_limited' }, t).next, 'Bitte versuchen Sie es in einer Minute erneut.');
  const m = describeError({ code: 'misconfigured', step: 'creating-call' }, t);
  assert.equal(m.retry, false);
  assert.equal(m.ownerMustFix, true);
  assert.match(m.next, /Betreiber/);
  assert.equal(m.step, 'Fehler beim Anlegen des Anrufs.');
});

test('describeError: an unavailable service says when to retry as its Retry-After does, not "in a few minutes"', () => {
  // The server answers an upstream 503 with Retry-After: 5 (webcall/api.py); the page said "a few minutes".
  const { t } = createTranslator('en');
  assert.equal(describeError({ code: 'upstream_unavailable', retryAfter: 5 }, t).next, 'Please try again in 5 seconds.');
  assert.equal(describeError({ code: 'upstream_unavailable' }, t).next, t('error.upstream_unavailable.next'));
});

test('describeError: unknown code still reads well', () => {
  const { t } = createTranslator('en');
  const d = describeError({ code: 'brand_new_code' }, t);
  assert.equal(d.code, 'unknown_error');
  assert.equal(d.title, 'Something went wrong');
});
