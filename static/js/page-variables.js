// The page-variable rule, the browser's one copy (the server's is webcall/demos.py
// page_variable_problems; static/widget.js carries an inline copy because the loader imports nothing
// before a click). A page may set only the variables the demo lists, each as text no longer than its
// maximum, counted in characters (code points, as the server counts; '😀' is one, not two). Numbers
// and booleans are turned into text first, for convenience; anything else is refused.
// tests/unit/test_page_variables.py holds all three copies to the same cases. Used by the iframe bridge
// (filterVariables) and by <itellico-call>'s `variables` property (textVariables, the part that needs no demo).

/** Length in code points, as Python's len() counts. @param {string} value */
export const codePoints = (value) => [...value].length;

/**
 * Keep the variables the demo allows, each within its maximum length.
 * @param {unknown} variables   what the page passed (an object of names to text)
 * @param {Record<string, number>} allowed   the demo's variables and their maximum lengths
 * @returns {{accepted: Record<string, string>, rejected: {name: string, reason: string}[]}}
 */
export function filterVariables(variables, allowed) {
  /** @type {Record<string, string>} */
  const accepted = {};
  /** @type {{name: string, reason: string}[]} */
  const rejected = [];
  if (variables == null || typeof variables !== 'object' || Array.isArray(variables)) return { accepted, rejected };
  for (const [name, value] of Object.entries(variables)) {
    const text = asText(value);
    if (!Object.hasOwn(allowed, name)) rejected.push({ name, reason: 'not allowed for this demo' });
    else if (text === null) rejected.push({ name, reason: 'not text' });
    else if (codePoints(text) > allowed[name]) rejected.push({ name, reason: `longer than ${allowed[name]} characters` });
    else accepted[name] = text;
  }
  return { accepted, rejected };
}

/**
 * The part of the rule that needs no demo profile: each value as text, what cannot be text left out. For
 * <itellico-call>'s `variables`, which does not know the demo's list: the server checks names and lengths.
 * @param {unknown} variables   what the page passed
 * @returns {{accepted: Record<string, string>, rejected: {name: string, reason: string}[]}|null}
 *   null when `variables` is not an object of names at all
 */
export function textVariables(variables) {
  if (variables == null || typeof variables !== 'object' || Array.isArray(variables)) return null;
  /** @type {[string, string][]} */
  const accepted = [];
  /** @type {{name: string, reason: string}[]} */
  const rejected = [];
  for (const [name, value] of Object.entries(variables)) {
    const text = asText(value);
    if (text === null) rejected.push({ name, reason: 'not text' });
    else accepted.push([name, text]);
  }
  // fromEntries defines own keys: a "__proto__" from JSON stays a key (which the server refuses by name)
  // instead of setting the object's prototype.
  return { accepted: Object.fromEntries(accepted), rejected };
}

/** Text as it is, a number or a boolean as text, anything else null (refused). @param {unknown} value */
function asText(value) {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
}
