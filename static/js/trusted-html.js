// Our own constant markup (the element's template, its icons) for innerHTML, under Trusted Types.
//
// A host page whose CSP says `require-trusted-types-for 'script'` refuses a plain string in innerHTML:
// the element stayed empty there. As lit-html does ('lit-html'), one named policy lets our markup through:
// the host lists its name (`trusted-types itellico-call`, docs/widget.md). It is made once per page and
// kept in this module (an ES module runs once per URL, and the built bundles share one chunk for it): a
// second createPolicy with the same name throws where the host lists names without 'allow-duplicates'.
// Only our markup passes: the template and the icons, compared whole. A policy that passed any string
// would let any script on the page (which may import this module) get around the host's Trusted Types.
// Text from attributes, the server or the host page never comes here: it goes in with textContent.

import { TEMPLATE } from './element-markup.js';
import { ICONS } from './icons.js';

const POLICY_NAME = 'itellico-call';
const OURS = new Set([TEMPLATE, '', ...Object.values(ICONS)]);

/** @type {{createHTML(markup: string): unknown} | null | undefined} undefined: not asked yet; null: none */
let policy;

/**
 * @param {string} markup the element's template or one of ICONS; anything else throws a TypeError
 * @returns {string} a TrustedHTML where the browser has Trusted Types, else the string itself (typed as a
 *   string: TypeScript's DOM types take only strings for innerHTML)
 */
export function trustedHTML(markup) {
  if (!OURS.has(markup)) throw new TypeError('itellico-call: not our markup');
  if (policy === undefined) {
    policy = null;
    const types = /** @type {any} */ (globalThis).trustedTypes;
    // A host whose `trusted-types` list leaves our name out makes createPolicy throw (the browser logs
    // which name is missing); without `require-trusted-types-for` plain strings still work then.
    try {
      policy = types?.createPolicy ? types.createPolicy(POLICY_NAME, { createHTML: (/** @type {string} */ s) => s }) : null;
    } catch {
      policy = null;
    }
  }
  return policy ? /** @type {string} */ (policy.createHTML(markup)) : markup;
}
