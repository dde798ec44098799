// The page-variable rule's part that needs no demo profile (static/js/page-variables.js), which
// <itellico-call>'s `variables` property applies: values as text, what cannot be text left out.
// (The names and lengths a demo allows are held to the server's rule in tests/unit/test_page_variables.py.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { filterVariables, textVariables } from '../../static/js/page-variables.js';

test('numbers and booleans become text, text stays as it is', () => {
  assert.deepEqual(textVariables({ name: 'Jane', age: 5, pi: 3.5, vip: true, none: false, empty: '' }), {
    accepted: { name: 'Jane', age: '5', pi: '3.5', vip: 'true', none: 'false', empty: '' },
    rejected: [],
  });
});

test('a value that is not text is left out, with the reason, and the others still go', () => {
  const { accepted, rejected } = textVariables({ name: 'Jane', obj: { first: 'J' }, list: ['a'], nothing: null, gone: undefined });
  assert.deepEqual(accepted, { name: 'Jane' });
  assert.deepEqual(rejected.map((r) => r.name), ['obj', 'list', 'nothing', 'gone']);
  assert.ok(rejected.every((r) => r.reason === 'not text'), JSON.stringify(rejected));
});

test('something that is not an object of names is refused as a whole', () => {
  for (const value of ['name=Jane', 5, true, ['Jane'], null, undefined]) assert.equal(textVariables(value), null, String(value));
});

test('a key named like a prototype property stays an own, plain key (the server then refuses its name)', () => {
  const { accepted } = textVariables(JSON.parse('{"__proto__": 1, "name": 2}'));
  assert.deepEqual(Object.keys(accepted), ['__proto__', 'name']);
  assert.equal(Object.getPrototypeOf(accepted), Object.prototype);
  assert.equal(accepted.name, '2');
});

test('the demo-aware filter takes values as text by the same rule', () => {
  const input = { name: 5, vip: true, obj: {} };
  const allowed = { name: 10, vip: 10, obj: 10 };
  assert.deepEqual(filterVariables(input, allowed).accepted, textVariables(input).accepted);
});
