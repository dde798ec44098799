// The transcript's lines as the element draws them (static/js/transcript-view.js), on a small fake DOM:
// which language each line's words are marked with, for a screen reader's voice (WCAG 3.1.2).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TranscriptView } from '../../static/js/transcript-view.js';

/** Just enough of an element for TranscriptView: children, attributes, text, `lang`. */
class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.children = [];
    this.dataset = {};
    this.attributes = {};
    this.textContent = '';
    this.parent = null;
  }
  setAttribute(name, value) { this.attributes[name] = String(value); }
  getAttribute(name) { return this.attributes[name] ?? null; }
  addEventListener() {}
  append(...nodes) { for (const n of nodes) { n.parent = this; this.children.push(n); } }
  prepend(node) { node.parent = this; this.children.unshift(node); }
  after(node) { node.parent = this.parent; this.parent.children.splice(this.parent.children.indexOf(this) + 1, 0, node); }
  replaceWith(node) { node.parent = this.parent; this.parent.children[this.parent.children.indexOf(this)] = node; }
  replaceChildren() { this.children = []; }
  querySelector(selector) {
    for (const child of this.children) {
      if (`.${child.className}` === selector) return child;
      const found = child.querySelector(selector);
      if (found) return found;
    }
    return null;
  }
  /** The `lang` a screen reader takes for this element: its own, else its nearest ancestor's. */
  closestLang() { return this.lang || this.parent?.closestLang() || null; }
}

function view(t, agentLang) {
  const had = globalThis.document;
  globalThis.document = /** @type {any} */ ({ createElement: (tag) => new FakeElement(tag) });
  t.after(() => { globalThis.document = had; });
  const card = new FakeElement('div');
  card.lang = 'de'; // the UI's language (element-template.js translateParts): a German page
  const transcript = new FakeElement('div');
  card.append(transcript);
  const parts = { transcript, jump: new FakeElement('button'), empty: new FakeElement('p'), tools: new FakeElement('div') };
  const labels = () => ({ agent: 'Agent', user: 'Sie' });
  const shown = new TranscriptView(/** @type {any} */ (parts), labels, agentLang);
  return { shown, transcript };
}

const ENTRIES = [
  { id: 'A1', role: 'agent', text: 'Hello, this is Ava.', final: true, source: 'voice' },
  { id: 'U1', role: 'user', text: 'Guten Tag', final: true, source: 'typed' },
];

/** Each line's words, with the language they are read in. */
function langs(transcript) {
  return transcript.children.map((li) => [li.dataset.role, li.querySelector('.line-text').closestLang()]);
}

test('the agent\'s lines are marked with the agent\'s language, the visitor\'s keep the page\'s', (t) => {
  // An English demo on a German page (/embed/<slug>?lang=de, data-lang="de"): the greeting was read
  // with a German voice.
  const { shown, transcript } = view(t, () => 'en');
  shown.render(ENTRIES);
  assert.deepEqual(langs(transcript), [['agent', 'en'], ['user', 'de']]);
  // The speaker's name is the UI's word ("Agent" label, "Sie"): it keeps the page's language.
  assert.equal(transcript.children[0].querySelector('.line-who').closestLang(), 'de');
});

test('without the agent\'s language every line keeps the page\'s, as before', (t) => {
  for (const agentLang of [undefined, () => null, () => '']) {
    const { shown, transcript } = view(t, agentLang);
    shown.render(ENTRIES);
    assert.deepEqual(langs(transcript), [['agent', 'de'], ['user', 'de']]);
  }
});

test('an agent line that becomes final is drawn anew, and keeps the agent\'s language', (t) => {
  const { shown, transcript } = view(t, () => 'en');
  shown.render([{ ...ENTRIES[0], final: false, text: 'Hello,' }]);
  shown.render([ENTRIES[0]]);
  assert.deepEqual(langs(transcript), [['agent', 'en']]);
  assert.equal(transcript.children[0].dataset.final, 'true');
});
