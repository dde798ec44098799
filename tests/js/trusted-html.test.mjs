import test from 'node:test';
import assert from 'node:assert/strict';
import { TEMPLATE } from '../../static/js/element-markup.js';
import { ICONS } from '../../static/js/icons.js';

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
  assert.equal(trustedHTML(ICONS.mic), ICONS.mic);
});

test('with Trusted Types one policy named itellico-call is made, once, and reused', async (t) => {
  t.after(() => { delete globalThis.trustedTypes; });
  const types = fakeTrustedTypes();
  globalThis.trustedTypes = types;
  const { trustedHTML } = await fresh();
  assert.deepEqual(trustedHTML(TEMPLATE), { trusted: TEMPLATE });
  assert.deepEqual(trustedHTML(ICONS.phone), { trusted: ICONS.phone });
  // A second createPolicy with the same name throws on a host that lists names without 'allow-duplicates'.
  assert.deepEqual(types.made, ['itellico-call']);
});

test('a host whose trusted-types list leaves our name out: plain strings, and no second try', async (t) => {
  t.after(() => { delete globalThis.trustedTypes; });
  const types = fakeTrustedTypes({ refuse: true });
  globalThis.trustedTypes = types;
  const { trustedHTML } = await fresh();
  assert.equal(trustedHTML(ICONS.chat), ICONS.chat); // works where Trusted Types are listed, not enforced
  assert.equal(trustedHTML(ICONS.chat), ICONS.chat);
  assert.deepEqual(types.made, ['itellico-call']); // each try would log another CSP violation
});

test('only our markup passes: any other string is refused, with or without Trusted Types', async (t) => {
  // The module can be imported by any script on the page: a policy that passed anything through let a
  // script on a host that enforces Trusted Types put any markup into innerHTML under our name.
  t.after(() => { delete globalThis.trustedTypes; });
  for (const types of [undefined, fakeTrustedTypes()]) {
    if (types) globalThis.trustedTypes = types;
    const { trustedHTML } = await fresh();
    assert.throws(() => trustedHTML('<img src=x onerror=alert(1)>'), TypeError);
    assert.throws(() => trustedHTML(`${ICONS.mic}<script></script>`), TypeError);
  }
});
