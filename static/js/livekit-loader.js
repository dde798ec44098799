// livekit-client, loaded on demand: a host page pays nothing for it until a call starts (or is warmed
// up on hover/focus). The ESM bundle is self-contained, served by the app from node_modules (livekit.md §1.1).

const LIVEKIT_URL = new URL('../../vendor/livekit-client.esm.mjs', import.meta.url).href;

/** @type {Promise<any>|null} */
let livekitPromise = null;

/** @returns {Promise<any>} the livekit-client module */
export function loadLivekitClient() {
  livekitPromise ??= import(LIVEKIT_URL).catch((err) => {
    livekitPromise = null; // let a later attempt retry the download
    throw err;
  });
  return livekitPromise;
}
