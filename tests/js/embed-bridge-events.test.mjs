// The iframe's bridge forwards exactly the element's public events (call-events.js PUBLIC_EVENTS, the
// list docs/widget.md documents), under the element's own prefix: it kept a list of its own, so an event
// added to PUBLIC_EVENTS reached a page with the inline element but never one with the iframe.
import test from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CallEvent, ELEMENT_EVENT_PREFIX, PUBLIC_EVENTS } from '../../static/js/call-events.js';
import { connectBridge } from '../../static/js/embed-bridge.js';

const PARENT = 'https://www.customer.example';
const STATIC_JS = fileURLToPath(new URL('../../static/js/', import.meta.url));

/** The element types a bridge listens to, and what it posts when each fires. */
function forwarded(connect) {
  const posted = [];
  const handlers = new Map();
  const element = { addEventListener: (type, fn) => handlers.set(type, fn) };
  const self = {
    parent: { postMessage: (message) => posted.push(message) },
    location: { ancestorOrigins: [PARENT] },
    document: { referrer: '' },
    addEventListener: () => {},
  };
  connect({ element, allowedOrigins: [PARENT], allowedVariables: {}, self });
  for (const [type, fn] of handlers) fn({ detail: { from: type } });
  return { listened: [...handlers.keys()], posted };
}

test('the bridge forwards exactly the public events, with the element prefix', () => {
  const { listened, posted } = forwarded(connectBridge);
  assert.deepEqual(listened, PUBLIC_EVENTS.map((name) => `${ELEMENT_EVENT_PREFIX}${name}`));
  assert.deepEqual(
    posted.map((m) => [m.source, m.type, m.detail.from]),
    PUBLIC_EVENTS.map((name) => ['itellico-call', name, `${ELEMENT_EVENT_PREFIX}${name}`]),
  );
});

test('an event added to PUBLIC_EVENTS is forwarded too', async () => {
  // A copy of static/js whose PUBLIC_EVENTS has one more event; the copied bridge must forward it.
  const dir = mkdtempSync(join(tmpdir(), 'bridge-events-'));
  try {
    cpSync(STATIC_JS, dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
    const events = join(dir, 'call-events.js');
    const source = readFileSync(events, 'utf8');
    const grown = source.replace(/(PUBLIC_EVENTS = Object\.freeze\([^[]*\[)/, '$1\n  CallEvent.Muted,');
    assert.notEqual(grown, source, 'call-events.js lost its PUBLIC_EVENTS list');
    writeFileSync(events, grown);
    const copied = await import(pathToFileURL(join(dir, 'embed-bridge.js')).href);
    const { listened } = forwarded(copied.connectBridge);
    assert.ok(listened.includes(`${ELEMENT_EVENT_PREFIX}${CallEvent.Muted}`), listened.join(', '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
