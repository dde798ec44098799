// What the page's Permissions Policy lets this document use: its `Permissions-Policy` header, and in a
// frame the <iframe>'s `allow` and the policy of the page around it. Chromium tells it before anything
// is asked (document.featurePolicy; the specification's newer name, permissionsPolicy, is read first for
// a browser that ships it); Firefox and Safari do not, and there a forbidden feature shows only when it
// is refused. call-start.js and embed-frame.js read the microphone's here, call-chrome.js the screen
// wake lock's.

/**
 * False only when the browser says the page's policy forbids `feature`; true when it allows it or will
 * not say. Both names are missing from TypeScript's DOM types (hence `doc` is `any`).
 * @param {string} feature e.g. 'microphone'
 * @param {any} [doc] the document (the page's own unless a test passes one)
 * @returns {boolean}
 */
export function pageAllows(feature, doc = globalThis.document) {
  return (doc?.permissionsPolicy ?? doc?.featurePolicy)?.allowsFeature?.(feature) !== false;
}
