// livekit-logs.js against the real livekit-client module (its named loggers are plain loglevel):
// the pre-connect buffer left unsent because the call ended is logged at debug, not as an error;
// any other error still is one.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as lk from '../../node_modules/livekit-client/dist/livekit-client.esm.mjs';
import { adjustLivekitLogs, isBufferLeftUnsent, noteRoomClosed } from '../../static/js/livekit-logs.js';

// Fetched once: livekit-client's getLogger() resets a logger to the default level on every call.
const log = lk.getLogger(lk.LoggerNames.Participant);

/** Every console.error / console.debug / console.log call made while `fn` runs. */
function consoleCalls(fn) {
  const calls = [];
  const saved = { error: console.error, warn: console.warn, debug: console.debug, log: console.log };
  console.error = (...args) => calls.push(['error', ...args]);
  console.warn = (...args) => calls.push(['warn', ...args]);
  console.debug = (...args) => calls.push(['debug', ...args]);
  console.log = (...args) => calls.push(['log', ...args]);
  try {
    log.rebuild(); // loglevel binds the console methods when it builds a logger's methods
    fn();
  } finally { Object.assign(console, saved); log.rebuild(); }
  return calls;
}

const unsent = (reason) => log.error('error sending preconnect buffer', { trackID: 'TR_1', error: new Error(reason) });

test('which log calls count as "left unsent because the call ended"', () => {
  assert.equal(isBufferLeftUnsent('error sending preconnect buffer', { error: new Error('Got disconnected without active agent present') }), true);
  assert.equal(isBufferLeftUnsent('[room=x] error sending preconnect buffer', { error: new Error('Agent disconnected') }), true);
  assert.equal(isBufferLeftUnsent('error sending preconnect buffer', { error: new Error('agent not active within 10 seconds') }), false);
  assert.equal(isBufferLeftUnsent('error sending preconnect buffer', { error: new Error('stream write failed') }), false);
  assert.equal(isBufferLeftUnsent('could not publish', { error: new Error('Agent disconnected') }), false);
  assert.equal(isBufferLeftUnsent('error sending preconnect buffer', undefined), false);
});

test('before: livekit-client logs the unsent buffer as an error (what the adjustment is for)', () => {
  const calls = consoleCalls(() => unsent('Got disconnected without active agent present'));
  assert.deepEqual(calls.map((c) => c[0]), ['error']);
});

test('after: the unsent buffer is no console error; other errors still are', () => {
  adjustLivekitLogs(lk);
  adjustLivekitLogs(lk); // again is harmless
  let calls = consoleCalls(() => {
    unsent('Got disconnected without active agent present');
    unsent('Agent disconnected');
  });
  assert.deepEqual(calls, [], 'at the default level (info) debug output is dropped');
  calls = consoleCalls(() => unsent('agent not active within 10 seconds'));
  // livekit-client keeps waiting after its 10 s and still sends the recording to an agent that comes
  // later; the element's own join timeout (15 s) is the error a visitor sees. A warning, not red.
  assert.deepEqual(calls.map((c) => c[0]), ['warn'], 'an agent that is late while the call goes on: a warning');
  calls = consoleCalls(() => log.error('could not publish track', { error: new Error('boom') }));
  assert.deepEqual(calls.map((c) => c[0]), ['error']);

  try {
    calls = consoleCalls(() => {
      log.setLevel('debug', false);
      unsent('Agent disconnected');
    });
    assert.equal(calls.length, 1);
    assert.notEqual(calls[0][0], 'error', 'with debug logging on, it shows at debug');
  } finally {
    log.setLevel('info', false);
  }
});

test('a send that fails because the visitor hung up while the recording was on its way is no error', () => {
  adjustLivekitLogs(lk);
  // livekit-client's participant logger puts the Room's name into every log call's context.
  const failed = (room) => log.error('error sending preconnect buffer', { room, trackID: 'TR_1', error: new Error('stream closed') });
  assert.deepEqual(consoleCalls(() => failed('call-1')).map((c) => c[0]), ['error'], 'the call goes on: an error');
  noteRoomClosed({ name: 'call-1' });
  assert.deepEqual(consoleCalls(() => failed('call-1')), [], 'that call is over: debug');
  assert.deepEqual(consoleCalls(() => failed('call-2')).map((c) => c[0]), ['error'], 'another call still errs');
  for (let i = 0; i < 20; i += 1) noteRoomClosed({ name: `old-${i}` }); // only the last few are kept
  assert.deepEqual(consoleCalls(() => failed('call-1')).map((c) => c[0]), ['error']);
});

test('a livekit module without named loggers (the fakes) is left alone', () => {
  assert.doesNotThrow(() => adjustLivekitLogs({}));
});
