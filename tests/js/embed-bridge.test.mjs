import test from 'node:test';
import assert from 'node:assert/strict';
import { connectBridge, parseCommand, resolveParentOrigin } from '../../static/js/embed-bridge.js';
import { filterVariables } from '../../static/js/page-variables.js';

const PARENT = 'https://www.customer.example';
const EVIL = 'https://evil.example';

/** A fake frame: `self` with a parent that records postMessage calls, and a way to deliver messages. */
function fakeFrame({ ancestorOrigins = [PARENT], referrer = '' } = {}) {
  const posted = [];
  const listeners = [];
  const parent = { postMessage: (message, targetOrigin) => posted.push({ message, targetOrigin }) };
  const self = {
    parent,
    location: { ancestorOrigins },
    document: { referrer },
    addEventListener: (type, fn) => { if (type === 'message') listeners.push(fn); },
  };
  const deliver = async (data, { origin = PARENT, source = parent } = {}) => {
    for (const fn of listeners) await fn({ data, origin, source });
  };
  return { self, parent, posted, deliver };
}

function fakeElement() {
  const calls = [];
  const handlers = new Map();
  return {
    calls,
    variables: undefined,
    addEventListener: (type, fn) => handlers.set(type, fn),
    emit: (type, detail) => handlers.get(`itellico-call:${type}`)?.({ detail }),
    start: async () => { calls.push('start'); return true; },
    end: () => calls.push('end'),
    sendText: async (text) => { calls.push(`sendText:${text}`); return true; },
    setMuted: async (muted) => { calls.push(`setMuted:${muted}`); },
  };
}

test('the parent origin is trusted only when it is an allowed one', () => {
  assert.equal(resolveParentOrigin({ allowed: [PARENT], ancestorOrigins: [PARENT], referrer: '' }), PARENT);
  assert.equal(resolveParentOrigin({ allowed: [PARENT], ancestorOrigins: undefined, referrer: `${PARENT}/shop?x=1` }), PARENT);
  assert.equal(resolveParentOrigin({ allowed: [PARENT], ancestorOrigins: [EVIL], referrer: `${EVIL}/` }), null);
  assert.equal(resolveParentOrigin({ allowed: [], ancestorOrigins: [PARENT], referrer: '' }), null);
});

test('commands are checked before they run', () => {
  assert.deepEqual(parseCommand({ target: 'itellico-call', command: 'start' }), { command: 'start', id: undefined });
  assert.equal(parseCommand({ target: 'itellico-call', command: 'eval' }), null);
  assert.equal(parseCommand({ command: 'start' }), null);
  assert.equal(parseCommand({ target: 'itellico-call', command: 'sendText', text: '' }), null);
  assert.equal(parseCommand({ target: 'itellico-call', command: 'sendText', text: 'x'.repeat(2001) }), null);
  assert.equal(parseCommand({ target: 'itellico-call', command: 'setMuted', muted: 'yes' }), null);
  assert.equal(parseCommand({ target: 'itellico-call', command: 'setVariables', variables: ['a'] }), null);
});

test('variables: only allowed names within their length', () => {
  const { accepted, rejected } = filterVariables({ name: 'Jane', secret: 'x', long: 'abcd', obj: {} }, { name: 10, long: 3, obj: 5 });
  assert.deepEqual(accepted, { name: 'Jane' });
  assert.deepEqual(rejected.map((r) => r.name), ['secret', 'long', 'obj']);
});

test('events go to the allowed parent origin only, never *', () => {
  const frame = fakeFrame();
  const element = fakeElement();
  connectBridge({ element, allowedOrigins: [PARENT], allowedVariables: {}, self: frame.self });
  element.emit('state', { state: 'in-call', previous: 'connecting' });
  assert.deepEqual(frame.posted, [
    { message: { source: 'itellico-call', type: 'state', detail: { state: 'in-call', previous: 'connecting' } }, targetOrigin: PARENT },
  ]);
});

test('an unknown parent gets nothing until it speaks from an allowed origin', async () => {
  const frame = fakeFrame({ ancestorOrigins: null, referrer: '' });
  const element = fakeElement();
  connectBridge({ element, allowedOrigins: [PARENT], allowedVariables: {}, self: frame.self });
  element.emit('state', { state: 'idle' });
  assert.equal(frame.posted.length, 0);
  await frame.deliver({ target: 'itellico-call', command: 'ping' }, { origin: EVIL });
  assert.equal(frame.posted.length, 0);
  await frame.deliver({ target: 'itellico-call', command: 'ping', id: 7 });
  assert.ok(frame.posted.every((p) => p.targetOrigin === PARENT));
  assert.deepEqual(frame.posted.map((p) => p.message.type), ['state', 'result']);
});

test('commands run only from the parent window at an allowed origin', async () => {
  const frame = fakeFrame();
  const element = fakeElement();
  const warnings = [];
  connectBridge({ element, allowedOrigins: [PARENT], allowedVariables: { name: 20 }, self: frame.self, warn: (m) => warnings.push(m) });
  await frame.deliver({ target: 'itellico-call', command: 'start' }, { origin: EVIL });
  await frame.deliver({ target: 'itellico-call', command: 'start' }, { source: {} }); // another window, same origin
  assert.deepEqual(element.calls, []);
  await frame.deliver({ target: 'itellico-call', command: 'setVariables', variables: { name: 'Jane', secret: 'x' } });
  await frame.deliver({ target: 'itellico-call', command: 'start' });
  await frame.deliver({ target: 'itellico-call', command: 'sendText', text: 'hello' });
  await frame.deliver({ target: 'itellico-call', command: 'setMuted', muted: true });
  await frame.deliver({ target: 'itellico-call', command: 'end' });
  assert.deepEqual(element.variables, { name: 'Jane' });
  assert.deepEqual(element.calls, ['start', 'sendText:hello', 'setMuted:true', 'end']);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /"secret"/);
});

test('no bridge when the page is not framed', () => {
  const self = { location: {}, document: {} };
  self.parent = self;
  assert.equal(connectBridge({ element: fakeElement(), allowedOrigins: [PARENT], allowedVariables: {}, self }), null);
});

test('the parent\'s start waits for the frame to allow it, and is refused when it does not', async () => {
  // A link-only demo's frame allows a start once its link check handed over the consent text: the
  // parent's documented `start` on `ready` started the call without the consent step (an audit).
  for (const allowed of [true, false]) {
    const frame = fakeFrame();
    const element = fakeElement();
    let allow;
    const startable = new Promise((resolve) => { allow = resolve; });
    connectBridge({ element, allowedOrigins: [PARENT], allowedVariables: {}, self: frame.self, startable });
    const delivered = frame.deliver({ target: 'itellico-call', command: 'start', id: 1 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(element.calls, [], 'nothing before the frame allows it');
    allow(allowed);
    await delivered;
    assert.deepEqual(element.calls, allowed ? ['start'] : []);
    const result = frame.posted.find((p) => p.message.type === 'result').message.detail;
    assert.deepEqual(result, { command: 'start', id: 1, ok: true, value: allowed });
  }
});

// "Errors are values with codes the UI can translate": a command that threw was answered with only the
// exception's English message, which a parent page could neither translate nor match on.
test('a command that fails is answered with a code, its message beside it for developers', async () => {
  const frame = fakeFrame();
  const element = fakeElement();
  element.setMuted = async () => { throw new Error('could not mute the microphone'); };
  connectBridge({ element, allowedOrigins: [PARENT], allowedVariables: {}, self: frame.self });
  await frame.deliver({ target: 'itellico-call', command: 'setMuted', muted: true, id: 3 });
  await frame.deliver({ target: 'itellico-call', command: 'nonsense', id: 4 });
  const results = frame.posted.filter((p) => p.message.type === 'result').map((p) => p.message.detail);
  assert.deepEqual(results, [
    { command: 'setMuted', id: 3, ok: false, error: 'command_failed', message: 'Error: could not mute the microphone' },
    { command: 'nonsense', id: 4, ok: false, error: 'invalid_command' },
  ]);
});
