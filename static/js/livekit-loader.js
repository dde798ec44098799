// livekit-client, loaded on demand: a host page pays nothing for it until a call starts (or is warmed
// up on hover/focus). ./livekit-client.js names the exports a call uses; served as is, it re-exports
// the self-contained ESM bundle the app serves from node_modules (dist/livekit-client.esm.mjs, which
// imports nothing), and in the minified build it is that bundle, reduced to those exports. Its logging
// is adjusted once, on arrival (livekit-logs.js).

import { adjustLivekitLogs } from './livekit-logs.js';

const LIVEKIT_URL = new URL('./livekit-client.js', import.meta.url).href;

/** @type {Promise<any>|null} */
let livekitPromise = null;

/** @returns {Promise<any>} the livekit-client module */
export function loadLivekitClient() {
  livekitPromise ??= import(LIVEKIT_URL).then((lk) => {
    adjustLivekitLogs(lk);
    return lk;
  }, (err) => {
    livekitPromise = null; // let a later attempt retry the download
    throw err;
  });
  return livekitPromise;
}
