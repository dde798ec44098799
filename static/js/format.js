// Small display helpers shared by the element and its tests.

/** 75 → "1:15", 3725 → "1:02:05"; negative or missing reads as 0. */
export function formatDuration(seconds) {
  const total = Math.max(0, Math.floor(Number(seconds) || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * A file name for a transcript download, e.g. "transcript-call_123-2026-11-25.txt"; `name` is the word
 * in the person's language (i18n's 'transcript.fileName'), cut to letters, digits, _ and -.
 */
export function transcriptFileName(callId, extension, date = new Date(), name = 'transcript') {
  const safe = (/** @type {unknown} */ text) => String(text).replace(/[^\w-]+/g, '_').slice(0, 60);
  return `${safe(name || 'transcript')}-${safe(callId ?? 'call')}-${date.toISOString().slice(0, 10)}.${extension}`;
}

/** Whole seconds left until `endsAt` (ms since epoch), never negative: for countdowns. */
export function secondsUntil(endsAt, now = Date.now()) {
  return Math.max(0, Math.ceil((endsAt - now) / 1000));
}
