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

test("Chrome's closed prompt (Permission dismissed) is told apart from a denial; other browsers' words stay denials", () => {
  const notAllowed = (message) => Object.assign(new Error(message), { name: 'NotAllowedError' });
  assert.equal(micErrorCode(notAllowed('Permission dismissed')), 'mic_dismissed'); // Chrome: the prompt's ✕
  assert.equal(micErrorCode(notAllowed('Permission dismissed'), 'PermissionDenied'), 'mic_dismissed'); // via livekit
  assert.equal(micErrorCode(notAllowed('Permission denied')), 'mic_denied'); // Chrome: Block, or blocked before
  assert.equal(micErrorCode(notAllowed('Permission denied by system')), 'mic_denied');
  // Firefox and Safari say the same for a refusal and a closed prompt: a denial.
  assert.equal(micErrorCode(notAllowed('The request is not allowed by the user agent or the platform in the current context.')), 'mic_denied');
  assert.equal(micErrorCode(Object.assign(new Error('Permission dismissed'), { name: 'NotFoundError' })), 'mic_not_found');
  const { t } = createTranslator('en');
  const d = describeError({ code: 'mic_dismissed', step: 'microphone' }, t, { browser: 'chrome' });
  assert.equal(d.next, 'You closed the microphone prompt. Press Try again and choose Allow.');
  assert.equal(d.retry, true);
  assert.equal(d.offerText, true);
  assert.match(describeError({ code: 'mic_dismissed' }, createTranslator('de').t).next, /Erneut versuchen|erneut/);
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
        for (const b of ['chrome', 'firefox', 'safari', 'inapp', 'other']) assert.ok(Object.hasOwn(CATALOGUES[lang], `error.mic_denied.next.${b}`), `${lang} ${b}`);
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

// Real user agents of apps' built-in browsers, where no address bar (Android WebView) or no browser
// settings page applies: the advice is to open the page in Safari or Chrome.
const IN_APP = {
  instagram: [
    'Mozilla/5.0 (Linux; Android 13; SM-S918B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 Instagram 309.1.0.41.113 Android (33/13; 480dpi; 1080x2340; samsung; SM-S918B; dm3q; qcom; en_US; 541635863)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 307.0.2.21.107 (iPhone15,3; iOS 17_1_2; en_US; en; scale=3.00; 1290x2796; 532277310)',
    'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 295.0.0.16.109 (iPad13,1; iPadOS 16_6; de_DE; de; scale=2.00; 820x1180; 503458104)',
  ],
  facebook: [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/428.0.0.29.108;FBBV/522410427;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/16.6;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/525104512]',
    'Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.5993.111 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/438.0.0.33.118;]',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/MessengerForiOS;FBAV/441.0.0.28.112;FBBV/550134017;FBDV/iPhone13,2;FBMD/iPhone;FBSN/iOS;FBSV/17.2;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/5;FBRV/0]',
  ],
  linkedin: [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.6440',
    'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.5845.163 Mobile Safari/537.36 [LinkedInApp]/4.1.865',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.27.4104',
  ],
  whatsapp: [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 WhatsApp/24.2.85 iOS',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.178 Mobile Safari/537.36 WhatsApp/2.24.3.78',
  ],
  line: [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/13.9.0',
    'Mozilla/5.0 (Linux; Android 13; SM-A536E Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/115.0.5790.166 Mobile Safari/537.36 Line/13.12.1/IAB',
  ],
  snapchat: [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/12.55.0.38 (like Safari/8616.1.25.10.6, panda)',
    'Mozilla/5.0 (Linux; Android 13; SM-G998B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/117.0.5938.60 Mobile Safari/537.36 Snapchat/12.51.0.34 (SM-G998B; Android 13#G998BXXU9EWGA#33; gzip; )',
  ],
  tiktok: [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_31.5.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US RevealType/Dialog isDarkMode/0 WKWebView/1 BytedanceWebview/d8a21c6 FalconTag/',
    'Mozilla/5.0 (Linux; Android 12; 2201117TG Build/SKQ1.211006.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/110.0.5481.153 Mobile Safari/537.36 trill_2023105030 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/trill app_version/31.5.3 ByteLocale/en ByteFullLocale/en Region/US BytedanceWebview/d8a21c6',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 TikTok/32.4.0',
  ],
  'android webview': [
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240305.019; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.105 Mobile Safari/537.36',
  ],
};

test("apps' built-in browsers are told apart from the browsers they imitate", () => {
  for (const [app, agents] of Object.entries(IN_APP)) {
    for (const ua of agents) assert.equal(detectBrowser(ua), 'inapp', `${app}: ${ua}`);
  }
  // Real browsers on phones keep their own steps (Chrome Custom Tabs and Samsung Internet are not WebViews).
  const phones = {
    chrome: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
    samsung: 'Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
    safari: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    crios: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/123.0.6312.52 Mobile/15E148 Safari/604.1',
    fxios: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/124.0 Mobile/15E148 Safari/605.1.15',
  };
  assert.equal(detectBrowser(phones.chrome), 'chrome');
  assert.equal(detectBrowser(phones.samsung), 'chrome');
  assert.equal(detectBrowser(phones.safari), 'safari');
  assert.equal(detectBrowser(phones.crios), 'chrome');
  assert.equal(detectBrowser(phones.fxios), 'firefox');
});

test('describeError: in an app\'s built-in browser, mic denied says to open the page in Safari or Chrome', () => {
  const en = describeError({ code: 'mic_denied' }, createTranslator('en').t, { browser: 'inapp' });
  assert.equal(
    en.next,
    'This app’s built-in browser cannot use your microphone. Open the page in Safari or Chrome: tap ⋯ (or the share icon) and choose Open in browser. Or continue by typing.',
  );
  assert.doesNotMatch(en.next, /address bar|browser settings/);
  const de = describeError({ code: 'mic_denied' }, createTranslator('de').t, { browser: 'inapp' });
  assert.match(de.next, /Safari oder Chrome/);
  assert.equal(de.offerText, true);
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
  // One second is singular ("1 Sekunden" / "1 seconds" before).
  assert.equal(describeError({ code: 'rate_limited', retryAfter: 0.4 }, t).next, 'Bitte versuchen Sie es in 1 Sekunde erneut.');
  assert.equal(describeError({ code: 'rate_limited', retryAfter: 1 }, createTranslator('en').t).next, 'Please try again in 1 second.');
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

// The open-calls refusal (webcall/open_calls.py) was a `rate_limited` 429 and read "Calls are limited to a
// few a minute": wrong for a visitor whose calls were still open (another tab, a page reloaded mid-call).
test('too many calls open: its own words, with the countdown to the server\'s Retry-After', () => {
  const en = describeError({ code: 'too_many_open_calls', step: 'creating-call', retryAfter: 40 }, createTranslator('en').t);
  assert.equal(en.code, 'too_many_open_calls');
  assert.match(en.title, /open/);
  assert.match(en.message, /still open/);
  assert.doesNotMatch(`${en.title} ${en.message}`, /a minute/);
  assert.equal(en.next, 'Please try again in 40 seconds.');
  assert.equal(en.retry, true);
  const de = describeError({ code: 'too_many_open_calls', retryAfter: 1 }, createTranslator('de').t);
  assert.match(de.title, /offen/);
  assert.match(de.message, /noch offen/);
  assert.doesNotMatch(`${de.title} ${de.message}`, /pro Minute/);
  assert.equal(de.next, CATALOGUES.de['error.retry.inOne'].replace('{seconds}', '1'));
  // Without a Retry-After it still says what to do.
  assert.equal(describeError({ code: 'too_many_open_calls' }, createTranslator('en').t).next, CATALOGUES.en['error.too_many_open_calls.next']);
});
