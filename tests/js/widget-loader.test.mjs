// The widget loader's (static/widget.js) check "is the visitor's focus on a page control the open panel
// covers?", run on its own with fake elements: the loader is a classic script that draws into a real DOM,
// so the check is taken from its source (as tests/unit/test_page_variables.py takes filterVariables).
// In Chromium: tests/e2e/test_widget_launcher_a11y.py.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const SOURCE = readFileSync(new URL('../../static/widget.js', import.meta.url), 'utf8');

/** The source of `this.<name> = function () {…}` in the loader, up to its matching brace. */
function method(name) {
  const start = SOURCE.indexOf(`this.${name} = function`);
  assert.ok(start >= 0, `static/widget.js lost this.${name}`);
  let depth = 0;
  for (let i = SOURCE.indexOf('{', start); i < SOURCE.length; i++) {
    if (SOURCE[i] === '{') depth++;
    else if (SOURCE[i] === '}' && --depth === 0) return SOURCE.slice(SOURCE.indexOf('function', start), i + 1);
  }
  throw new Error(`this.${name} has no end`);
}

/**
 * The loader's _inPage with its closure: `phone` (the ≤480px media query), `host` (the widget's element),
 * the document's focused element.
 */
function inPage({ narrow = true, focused }) {
  const host = { tagName: 'ITELLICO-WIDGET' };
  const make = new Function('phone', 'host', 'document', `return (${method('_inPage')});`);
  return make({ matches: narrow }, host, { activeElement: focused === 'host' ? host : focused })();
}

/** A focused page control. `visible`: whether :focus-visible matches; `oldSafari`: it is no selector there. */
function control({ visible = true, oldSafari = false } = {}) {
  return {
    matches(selector) {
      if (selector.includes(':focus-visible')) {
        // Safari before 15.4 (and other browsers without :focus-visible) throw on the unknown pseudo-class.
        if (oldSafari) throw new DOMException(`'${selector}' is not a valid selector.`, 'SyntaxError');
        return visible;
      }
      return selector === ':focus'; // it has the focus
    },
  };
}

test('a page control with visible focus on a phone is covered by the open panel', () => {
  assert.equal(inPage({ focused: control({ visible: true }) }), true);
  assert.ok(!inPage({ focused: control({ visible: false }) })); // a link tapped beside the panel
  assert.ok(!inPage({ narrow: false, focused: control() })); // wider: the panel covers no page
  assert.ok(!inPage({ focused: 'host' })); // the focus is in the widget itself
  assert.ok(!inPage({ focused: null }));
});

test('a browser without :focus-visible (Safari before 15.4) counts any focus in the page, and does not throw', () => {
  // Thrown, it broke both callers there: the panel stayed over the page on Tab, and a call that ended on
  // its own neither re-opened the panel nor said so.
  assert.equal(inPage({ focused: control({ oldSafari: true }) }), true);
});
