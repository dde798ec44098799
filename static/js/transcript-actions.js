// What the person can do with a call's transcript from the after-call panel: copy it as text, download
// it as text or as JSON (file names from format.js).

import { transcriptFileName } from './format.js';
import { transcriptToJSON, transcriptToText } from './transcript.js';
import { downloadFile } from './transcript-view.js';

/**
 * @typedef {object} TranscriptActionContext
 * @property {import('./transcript.js').TranscriptEntry[]} entries
 * @property {{agent: string, user: string}} labels  the speakers' names in text exports
 * @property {string|null} callId
 * @property {HTMLElement} sink     where the download link is attached for its click
 * @property {(message: string) => void} announce
 * @property {(key: string) => string} t
 */

/** @param {'copy'|'download-text'|'download-json'} action @param {TranscriptActionContext} ctx */
export function runTranscriptAction(action, { entries, labels, callId, sink, announce, t }) {
  if (action === 'copy') {
    (async () => navigator.clipboard.writeText(transcriptToText(entries, labels)))().then(
      () => announce(t('action.copied')),
      () => announce(t('action.copyFailed')),
    );
    return;
  }
  const fileName = (/** @type {string} */ extension) => transcriptFileName(callId, extension, new Date(), t('transcript.fileName'));
  if (action === 'download-text') {
    downloadFile(sink, fileName('txt'), 'text/plain', transcriptToText(entries, labels));
  } else {
    downloadFile(sink, fileName('json'), 'application/json', transcriptToJSON(entries, { callId }));
  }
}
