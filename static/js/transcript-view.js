// The transcript as the element shows it: a role="log" region that announces each line once (when it is
// final), follows new lines until the person scrolls up, and offers "Jump to latest".

import { visibleEntries } from './transcript.js';

/** The transcript stops following new lines when the person has scrolled further up than this. */
const STICK_TO_BOTTOM_PX = 32;

/** @typedef {import('./transcript.js').TranscriptEntry} TranscriptEntry */

export class TranscriptView {
  #stickToBottom = true;
  #parts;
  #labels;
  #agentLang;

  /**
   * @param {{transcript: HTMLElement, jump: HTMLElement, empty: HTMLElement, tools: HTMLElement}} parts
   * @param {() => {agent: string, user: string}} labels the speaker names, translated
   * @param {() => string|null} [agentLang] the language the agent speaks (the demo's), when not the UI's
   */
  constructor(parts, labels, agentLang) {
    this.#parts = parts;
    this.#labels = labels;
    this.#agentLang = agentLang;
    parts.transcript.addEventListener('scroll', () => {
      const t = parts.transcript;
      this.#stickToBottom = t.scrollHeight - t.scrollTop - t.clientHeight < STICK_TO_BOTTOM_PX;
      parts.jump.hidden = this.#stickToBottom;
    }, { passive: true });
  }

  /** A new call: no lines, following again. */
  reset() {
    this.#parts.transcript.replaceChildren();
    this.#stickToBottom = true;
    this.#parts.jump.hidden = true;
  }

  jumpToLatest() {
    const list = this.#parts.transcript;
    this.#stickToBottom = true;
    list.scrollTop = list.scrollHeight;
    this.#parts.jump.hidden = true;
    list.focus();
  }

  /**
   * @param {TranscriptEntry[]} entries
   * @param {boolean} [relabel] the speaker names changed language: rebuild every line
   */
  render(entries, relabel = false) {
    const list = this.#parts.transcript;
    const lines = visibleEntries(entries);
    /** @type {Map<string|undefined, HTMLElement>} */
    const existing = new Map([...list.children].map((li) => [/** @type {HTMLElement} */ (li).dataset.id, /** @type {HTMLElement} */ (li)]));
    if (relabel) {
      existing.clear();
      list.replaceChildren();
    }
    /** @type {HTMLElement|null} */
    let previous = null;
    for (const entry of lines) {
      let li = existing.get(entry.id);
      const wasInterim = li && li.dataset.final !== 'true';
      if (!li || (wasInterim && entry.final)) {
        // A new node when a line becomes final: role="log" announces additions, so each line is read once,
        // complete, instead of every interim word.
        const fresh = this.#lineElement(entry);
        if (li) li.replaceWith(fresh);
        else if (previous) previous.after(fresh);
        else list.prepend(fresh);
        li = fresh;
      } else {
        // Only a line whose words changed: writing the same text again makes a new text node, which the
        // log region may announce as an addition (every earlier line, on each word of a new one).
        const text = /** @type {HTMLElement} */ (li.querySelector('.line-text'));
        const words = entry.text.trim();
        if (text.textContent !== words) text.textContent = words;
      }
      previous = li;
    }
    this.#parts.empty.hidden = lines.length > 0;
    // Copy and download only make sense once there is something to copy.
    this.#parts.tools.hidden = lines.length === 0;
    if (this.#stickToBottom) list.scrollTop = list.scrollHeight;
  }

  /** @param {TranscriptEntry} entry */
  #lineElement(entry) {
    const li = document.createElement('div'); // a role=log region holds no list items (axe: listitem)
    li.className = 'line';
    li.dataset.id = entry.id;
    li.dataset.role = entry.role;
    li.dataset.final = String(entry.final);
    li.dataset.source = entry.source;
    li.setAttribute('part', `line line-${entry.role}`);
    if (!entry.final) li.setAttribute('aria-hidden', 'true');
    const who = document.createElement('span');
    who.className = 'line-who';
    who.textContent = this.#labels()[entry.role];
    const text = document.createElement('p');
    text.className = 'line-text';
    text.dir = 'auto'; // a line in Arabic or Hebrew reads right to left
    // The agent speaks its demo's language, whatever the UI's (the card's lang): a screen reader's voice.
    const lang = entry.role === 'agent' && this.#agentLang?.();
    if (lang) text.lang = lang;
    text.textContent = entry.text.trim();
    li.append(who, text);
    return li;
  }
}

/**
 * Offer a file for download through a temporary link (the transcript as text or JSON).
 * @param {HTMLElement} sink where the link lives for the click @param {string} name @param {string} type @param {string} content
 */
export function downloadFile(sink, name, type, content) {
  const url = URL.createObjectURL(new Blob([content], { type: `${type};charset=utf-8` }));
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  sink.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
