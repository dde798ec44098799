// The M key (static/js/call-chrome.js isMuteShortcut). It used to fire from the bare page too (focus on
// nothing): a one-letter shortcut a visitor cannot turn off, which speech-input users trip by saying a
// word with an "m" in it (WCAG 2.1.4 Character Key Shortcuts). Now it is active only while focus is in
// the element, WCAG's "active only on focus" option.
import test from 'node:test';
import assert from 'node:assert/strict';

// Just enough DOM for the check: what focus is on, and the body and html a bare-page key is aimed at.
globalThis.HTMLElement ??= class HTMLElement {};
class Element extends globalThis.HTMLElement {
  constructor(tagName) { super(); this.tagName = tagName; this.isContentEditable = false; }
}
const body = new Element('BODY');
const html = new Element('HTML');
globalThis.document ??= /** @type {any} */ ({ body, documentElement: html });

const { isMuteShortcut } = await import('../../static/js/call-chrome.js');

const host = new Element('ITELLICO-CALL');
const button = new Element('BUTTON');
const input = new Element('INPUT');
/** A keydown whose composed path is `path` (its target first). */
const key = (path, init = {}) => ({ key: 'm', ctrlKey: false, metaKey: false, altKey: false, repeat: false, composedPath: () => path, ...init });

test('M mutes while focus is in the element', () => {
  assert.equal(isMuteShortcut(key([button, host, document.body, document.documentElement]), host), true);
  assert.equal(isMuteShortcut(key([button, host, document.body], { key: 'M' }), host), true);
});

test('M from the bare page mutes nothing, not even the latest call', () => {
  assert.equal(isMuteShortcut(key([document.body, document.documentElement]), host, true), false);
  assert.equal(isMuteShortcut(key([document.documentElement]), host, true), false);
});

test('never while typing, with a modifier, held down, or for another key', () => {
  assert.equal(isMuteShortcut(key([input, host, document.body]), host), false);
  assert.equal(isMuteShortcut(key([button, host], { ctrlKey: true }), host), false);
  assert.equal(isMuteShortcut(key([button, host], { repeat: true }), host), false);
  assert.equal(isMuteShortcut(key([button, host], { key: 'n' }), host), false);
});
