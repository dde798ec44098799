// The page-variable rule, the browser's one copy (the server's is webcall/demos.py
// page_variable_problems; static/widget.js carries an inline copy because the loader imports nothing
// before a click). A page may set only the variables the demo lists, each as text no longer than its
// maximum, counted in characters (code points, as the server counts; '😀' is one, not two). Numbers
// and booleans are turned into text first, for convenience; anything else is refused.
// tests/unit/test_page_variables.py holds all three copies to the same cases.

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
    if (!Object.hasOwn(allowed, name)) rejected.push({ name, reason: 'not allowed for this demo' });
    else if (!['string', 'number', 'boolean'].includes(typeof value)) rejected.push({ name, reason: 'not text' });
    else if (codePoints(String(value)) > allowed[name]) rejected.push({ name, reason: `longer than ${allowed[name]} characters` });
    else accepted[name] = String(value);
  }
  return { accepted, rejected };
}
