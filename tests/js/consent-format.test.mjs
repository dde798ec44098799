import test from 'node:test';
import assert from 'node:assert/strict';
import { consentKey, hasConsented, hashText, rememberConsent } from '../../static/js/consent.js';
import { formatDuration, transcriptFileName } from '../../static/js/format.js';
import de from '../../static/js/i18n/de.js';
import en from '../../static/js/i18n/en.js';

const memoryStorage = () => {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)) };
};

test('consent is remembered per text', () => {
  const storage = memoryStorage();
  assert.equal(hasConsented('Calls are recorded.', storage), false);
  assert.equal(rememberConsent('Calls are recorded.', storage), true);
  assert.equal(hasConsented('Calls are recorded.', storage), true);
  assert.equal(hasConsented('Calls are recorded and analysed.', storage), false, 'a changed text asks again');
});

test('no consent text means nothing to accept; blocked storage means ask again', () => {
  assert.equal(hasConsented('', undefined), true);
  const blocked = { getItem() { throw new Error('SecurityError'); }, setItem() { throw new Error('SecurityError'); } };
  assert.equal(hasConsented('x', blocked), false);
  assert.equal(rememberConsent('x', blocked), false);
});

test('hash is stable and short', () => {
  assert.equal(hashText('abc'), hashText('abc'));
  assert.notEqual(hashText('abc'), hashText('abd'));
  assert.match(consentKey('ü'), /^itellico-call:consent:[0-9a-f]{8}$/);
});

test('durations and file names', () => {
  assert.equal(formatDuration(0), '0:00');
  assert.equal(formatDuration(75), '1:15');
  assert.equal(formatDuration(3725), '1:02:05');
  assert.equal(formatDuration(-3), '0:00');
  assert.equal(formatDuration(null), '0:00');
  assert.equal(transcriptFileName('call/1 x', 'txt', new Date('2026-11-25T10:00:00Z')), 'transcript-call_1_x-2026-11-25.txt');
  // Named in the person's language (i18n's 'transcript.fileName'), kept to what every file system takes.
  const day = new Date('2026-11-25T10:00:00Z');
  assert.equal(transcriptFileName('c1', 'json', day, de['transcript.fileName']), 'gespraechsverlauf-c1-2026-11-25.json');
  assert.equal(transcriptFileName('c1', 'txt', day, en['transcript.fileName']), 'transcript-c1-2026-11-25.txt');
  assert.equal(transcriptFileName('c1', 'txt', day, '../Verlauf äöü'), '_Verlauf_-c1-2026-11-25.txt');
  assert.equal(transcriptFileName('c1', 'txt', day, ''), 'transcript-c1-2026-11-25.txt');
});
