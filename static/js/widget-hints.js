// The launcher's console lines for the site's owner about its script tag and its config (the element's are
// in owner-hints.js). static/widget.js imports this only when it has something to say, from where it came
// itself (that address answered, whatever data-api-base says), so a page without a mistake pays nothing:
// the loader must stay under its budget (tests/unit/test_widget_budget.py). Self-contained on purpose,
// one file: it is no entry of the build, so built mode serves it as it is (webcall/pages.py).
// Before, a typo on the tag was ignored without a word, and a config that could not be loaded told the
// visitor to check their connection and the owner nothing.

const told = new Set();

/** @param {string} line one line per cause on this page, however many tags or retries meet it */
function say(line) {
  if (told.has(line)) return;
  told.add(line);
  console.warn(`[itellico web-call] ${line}`);
}

/**
 * Edits (insert, delete, change, swap two neighbours) that turn one word into the other.
 * @param {string} a @param {string} b
 */
function editDistance(a, b) {
  /** @type {number[][]} */
  const rows = [];
  for (let i = 0; i <= a.length; i++) {
    rows[i] = [i];
    for (let j = 1; j <= b.length; j++) {
      rows[i][j] = i === 0 ? j : Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}

/**
 * The option `name` is a typo of (one edit, two in a name longer than five letters, `-` and `_` aside), or
 * a longer or shorter form of (data-language, data-privacy-link, data-pos); else null. Other scripts' own
 * attributes on the tag (Cloudflare's data-cfasync, a consent manager's data-cookieconsent) are nothing
 * like ours, and not ours to judge.
 * @param {string} name @param {string[]} known
 * @returns {string|null}
 */
export function closestName(name, known) {
  const plain = (/** @type {string} */ s) => s.replace(/[-_]/g, '');
  const head = (/** @type {string} */ s) => s.split('-')[0];
  const near = (/** @type {string} */ k) => editDistance(plain(name), plain(k)) <= (k.length > 5 ? 2 : 1);
  const part = (/** @type {string} */ k) => name.length > 2
    && (k.startsWith(name) || name.startsWith(k) || (head(k).length > 3 && head(k) === head(name)));
  return known.find(near) ?? known.find(part) ?? null;
}

/** @param {string} key a dataset key @returns {string} its attribute's name after `data-` */
const kebab = (key) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** @param {string[]} values @returns {string} 'a, b or c' */
const listed = (values) => `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;

/**
 * One line per option value the launcher cannot use (it uses the demo's own instead): data-theme="drak",
 * data-mode="txt" (a voice call started), data-lang="fr" (the launcher speaks en and de).
 * @param {Record<string, unknown>} options @param {Record<string, string[]>} choices
 * @returns {string[]}
 */
export function optionProblems(options, choices) {
  return Object.keys(choices).filter((name) => {
    const value = options[name];
    return value != null && value !== '' && !choices[name].includes(name === 'lang' ? String(value).split(/[-_]/)[0].toLowerCase() : String(value));
  }).map((name) => `data-${name} "${options[name]}" is not ${listed(choices[name])}: the demo's own is used`);
}

/**
 * Why a request got no answer, as far as the page can tell. Mixed content (an https page asking an http
 * address that is not this machine's) is certain; the rest are the usual suspects.
 * @param {string} url @param {string} pageProtocol
 */
export function noAnswer(url, pageProtocol) {
  const u = new URL(url);
  const loopback = /^(localhost|127\.0\.0\.1|\[::1\])$|\.localhost$/.test(u.hostname); // allowed from https pages
  if (pageProtocol === 'https:' && u.protocol === 'http:' && !loopback) {
    return `this page is https and that URL is http, which the browser blocks (mixed content): use https://${u.host}`;
  }
  // A server that answers without CORS headers (the app's own 404 for a wrong path) reads as no answer too.
  return `no answer this page can read from ${u.origin}: is the web-call app running there, and is data-api-base `
    + '(or the script\'s src) its address, with no path after it? A firewall, an ad blocker or this page\'s '
    + 'Content-Security-Policy (connect-src) can block it too';
}

/**
 * The page's Content-Security-Policy reports on `origin` so far, as [directive] (Chromium keeps them for a
 * ReportingObserver that asks for the buffered ones; elsewhere none, and noAnswer names the policy as a suspect).
 * @param {string} origin @returns {string[]}
 */
function blockedBy(origin) {
  if (typeof ReportingObserver !== 'function') return [];
  const observer = new ReportingObserver(() => {}, { types: ['csp-violation'], buffered: true });
  observer.observe();
  const reports = observer.takeRecords();
  observer.disconnect();
  return reports.map((r) => /** @type {any} */ (r.body)).filter((body) => {
    try {
      return new URL(body.blockedURL).origin === origin;
    } catch {
      return false;
    }
  }).map((body) => String(body.effectiveDirective).replace(/-(elem|attr)$/, ''));
}

// ── what static/widget.js calls (by name) ────────────────────────────────────────────────────────

/**
 * Data- attributes of the tag that are no option: a typo of one is said with the option it misses.
 * @param {string[]} keys dataset keys @param {string[]} options the tag's option keys
 */
export function typos(keys, options) {
  const known = options.map(kebab);
  for (const key of keys) {
    const meant = closestName(kebab(key), known);
    if (meant) say(`data-${kebab(key)} is not an option of widget.js, so it is ignored: did you mean data-${meant}?`);
  }
}

/** @param {Record<string, unknown>} options @param {Record<string, string[]>} choices */
export function values(options, choices) {
  optionProblems(options, choices).forEach(say);
}

/**
 * The config could not be loaded (the visitor reads "check your connection"): where it was asked and why.
 * @param {string} demo @param {string} url @param {number} [status] the answer's, when one came
 */
export function unloaded(demo, url, status) {
  const tried = new URL(url, location.href);
  const blocked = status ? [] : blockedBy(tried.origin);
  const why = status
    ? `it answered HTTP ${status}, not as the web-call app does: data-api-base (or the script's src) must be the app's address, like https://call.example.com`
    : blocked.length
      ? `this page's Content-Security-Policy blocks it: add ${tried.origin} to its ${blocked[0]}`
      : noAnswer(tried.href, location.protocol);
  say(`the widget config of demo "${demo}" could not be loaded from ${tried.href}: ${why}`);
}
