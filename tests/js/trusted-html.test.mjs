import test from 'node:test';
import assert from 'node:assert/strict';

// A fresh copy of the module per test (its policy is made once per module instance, as once per page).
let copies = 0;
const fresh = () => import(`../../static/js/trusted-html.js?copy=${++copies}`);

/** A stand-in for window.trustedTypes that records its createPolicy calls. */
function fakeTrustedTypes({ refuse = false } = {}) {
  const made = [];
  return {
    made,
    createPolicy(name, rules) {
      made.push(name);
      if (refuse) throw new TypeError(`Policy "${name}" disallowed.`);
      return { createHTML: (s) => ({ trusted: rules.createHTML(s) }) };
    },
  };
}

test('without Trusted Types the markup is the plain string', async (t) => {
  t.after(() => { delete globalThis.trustedTypes; });
  delete globalThis.trustedTypes;
  const { trustedHTML } = await fresh();
  assert.equal(trustedHTML('<svg></svg>'), '<svg></svg>');
});

test('with Trusted Types one policy named itellico-call is made, once, and reused', async (t) => {
  t.after(() => { delete globalThis.trustedTypes; });
  const types = fakeTrustedTypes();
  globalThis.trustedTypes = types;
  const { trustedHTML } = await fresh();
  assert.deepEqual(trustedHTML('<p></p>'), { trusted: '<p></p>' });
  assert.deepEqual(trustedHTML('<svg></svg>'), { trusted: '<svg></svg>' });
  // A second createPolicy with the same name throws on a host that lists names without 'allow-duplicates'.
  assert.deepEqual(types.made, ['itellico-call']);
});

test('a host whose trusted-types list leaves our name out: plain strings, and no second try', async (t) => {
  t.after(() => { delete globalThis.trustedTypes; });
  const types = fakeTrustedTypes({ refuse: true });
  globalThis.trustedTypes = types;
  const { trustedHTML } = await fresh();
  assert.equal(trustedHTML('<p></p>'), '<p></p>'); // works where Trusted Types are listed, not enforced
  assert.equal(trustedHTML('<p></p>'), '<p></p>');
  assert.deepEqual(types.made, ['itellico-call']); // each try would log another CSP violation
});
