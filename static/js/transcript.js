// Merging `lk.transcription` text streams into one ordered list of lines.
//
// How a LiveKit Agents agent writes them (tests/js/transcript.test.mjs plays each case):
// - agent speech: one *delta* stream per segment; each chunk is new text, the final flag comes in the trailer.
// - the person's recognised speech: every interim update is a *new* stream carrying the full text so far,
//   with the same `lk.segment_id`; the last one says final.
// So: within a stream, chunks are appended; across streams of one segment, agent text is appended
// and the person's text replaces. Lines keep the order in which their segment first appeared,
// which stops the "lines jump around" and "duplicate interim line" complaints (e.g. livekit/agents#3138).

/**
 * @typedef {object} TranscriptEntry
 * @property {string} id        segment id (or `typed-N` for typed lines)
 * @property {'agent'|'user'} role
 * @property {string} text
 * @property {boolean} final    false while the line may still change
 * @property {'voice'|'typed'} source
 * @property {number} timestamp ms since epoch when the line first appeared
 */

export class Transcript {
  /** @type {TranscriptEntry[]} */
  #entries = [];
  /** @type {Map<string, {entry: TranscriptEntry, streams: Map<string, string>}>} */
  #segments = new Map();
  #typedCount = 0;
  #now;

  /** @param {{now?: () => number}} [options] */
  constructor({ now = Date.now } = {}) {
    this.#now = now;
  }

  /** A copy of the lines, in order. */
  get entries() {
    return this.#entries.map((e) => ({ ...e }));
  }

  get length() {
    return this.#entries.length;
  }

  /**
   * Apply the text received so far on one transcription stream.
   * @param {StreamUpdate} update
   * @returns {TranscriptEntry} a copy of the changed line
   */
  applyStream({ segmentId, streamId, role, text, final = false }) {
    let segment = this.#segments.get(segmentId);
    if (!segment) {
      /** @type {TranscriptEntry} */
      const entry = { id: segmentId, role, text: '', final: false, source: 'voice', timestamp: this.#now() };
      segment = { entry, streams: new Map() };
      this.#segments.set(segmentId, segment);
      this.#entries.push(entry);
    }
    segment.streams.set(streamId, text);
    const { entry, streams } = segment;
    entry.text = role === 'agent' ? [...streams.values()].join('') : text;
    // A final line stays final: a late interim stream for the same segment must not reopen it.
    entry.final = entry.final || final;
    return { ...entry };
  }

  /**
   * A line the person typed. The agent does not echo typed text back, so we add it ourselves, final.
   * @param {string} text
   */
  addTyped(text) {
    this.#typedCount += 1;
    const entry = /** @type {TranscriptEntry} */ ({
      id: `typed-${this.#typedCount}`,
      role: 'user',
      text,
      final: true,
      source: 'typed',
      timestamp: this.#now(),
    });
    this.#entries.push(entry);
    return { ...entry };
  }

  /** When the call ends nothing more will arrive: what we have is what was said.
   * Returns copies of the lines that were still interim, so the UI can redraw them. */
  finalizeAll() {
    const changed = this.#entries.filter((entry) => !entry.final);
    for (const entry of changed) entry.final = true;
    return changed.map((entry) => ({ ...entry }));
  }

  clear() {
    this.#entries = [];
    this.#segments.clear();
    this.#typedCount = 0;
  }
}

/**
 * @typedef {{segmentId: string, streamId: string, role: 'agent'|'user', text: string, final?: boolean}} StreamUpdate
 */

/**
 * Read one `lk.transcription` text stream (livekit-client's TextStreamReader), reporting the text so far
 * after each chunk and once more at the end with the final flag.
 * @param {{info: {id: string, attributes?: Record<string, string>}} & AsyncIterable<string>} reader
 * @param {'agent'|'user'} role
 * @param {(update: StreamUpdate) => void} onUpdate
 */
export async function readTranscriptionStream(reader, role, onUpdate) {
  const attributes = () => reader.info.attributes ?? {};
  const segmentId = attributes()['lk.segment_id'] ?? reader.info.id;
  const streamId = reader.info.id;
  let text = '';
  try {
    for await (const chunk of reader) {
      text += chunk;
      onUpdate({ segmentId, streamId, role, text, final: false });
    }
  } finally {
    // The final flag of agent speech arrives in the trailer, merged into info.attributes at the end.
    onUpdate({ segmentId, streamId, role, text, final: attributes()['lk.transcription_final'] === 'true' });
  }
}

/** Whitespace-only interim lines are noise; hide them from display and export. */
export function visibleEntries(entries) {
  return entries.filter((e) => e.text.trim() !== '');
}

/**
 * Plain text for copy and download: "Agent: …" / "You: …" lines.
 * @param {TranscriptEntry[]} entries
 * @param {{agent: string, user: string}} labels translated speaker names
 */
export function transcriptToText(entries, labels) {
  return visibleEntries(entries)
    .map((e) => `${labels[e.role]}: ${e.text.trim()}`)
    .join('\n');
}

/**
 * JSON for download, shaped like the backend's summary messages so both can be read alike.
 * @param {TranscriptEntry[]} entries
 * @param {{callId?: string|null}} [meta]
 */
export function transcriptToJSON(entries, meta = {}) {
  const messages = visibleEntries(entries).map((e) => ({
    role: e.role,
    message: e.text.trim(),
    final: e.final,
    source: e.source,
    timestamp: new Date(e.timestamp).toISOString(),
  }));
  return JSON.stringify({ call_id: meta.callId ?? null, messages }, null, 2);
}
