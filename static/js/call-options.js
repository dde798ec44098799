// What a CallSession is told when it is made (demo, mode, variables, …, and the injectable browser
// APIs tests replace), its defaults, and the body of `POST /api/calls` built from it. One place for the
// configuration, so the session itself holds only the call's lifecycle.

import { loadLivekitClient } from './livekit-loader.js';

/**
 * @typedef {object} CallSessionOptions
 * @property {string} [apiBase]       origin (and path prefix) of our backend; '' = same origin
 * @property {string} [demo]          demo slug
 * @property {'voice'|'text'} [mode]
 * @property {string} [initialText]   sent as the first user message
 * @property {Record<string,string>} [variables]
 * @property {string} [link]          a signed share link token (sales demos), sent as-is
 * @property {number} [maxCallSeconds] used when the create response has no max_call_seconds
 * @property {() => Promise<any>} [loadLivekit] injectable for tests
 * @property {typeof fetch} [fetch]   injectable for tests
 * @property {MediaDevices} [mediaDevices] injectable for tests
 * @property {Permissions} [permissions] injectable for tests (navigator.permissions)
 * @property {typeof AudioContext} [AudioContext] injectable for tests
 * @property {Function} [RTCPeerConnection] injectable for tests: absent, no call can connect
 * @property {() => number} [now]
 */

/** @typedef {CallSessionOptions & {loadLivekit: () => Promise<any>, now: () => number}} ResolvedCallOptions */

/** @param {CallSessionOptions} options @returns {ResolvedCallOptions} */
export function withDefaults(options) {
  return {
    apiBase: '',
    mode: 'voice',
    loadLivekit: loadLivekitClient,
    mediaDevices: globalThis.navigator?.mediaDevices,
    permissions: globalThis.navigator?.permissions,
    AudioContext: globalThis.AudioContext,
    RTCPeerConnection: globalThis.RTCPeerConnection,
    now: Date.now,
    ...options,
  };
}

/**
 * The create request's body: only what is set.
 * @param {CallSessionOptions} options @param {'voice'|'text'} mode
 */
export function createCallBody({ demo, initialText, variables, link }, mode) {
  /** @type {Record<string, unknown>} */
  const body = { mode };
  if (demo) body.demo = demo;
  if (link) body.link = link;
  if (initialText) body.initial_text = initialText;
  if (variables && Object.keys(variables).length) body.variables = variables;
  return body;
}
