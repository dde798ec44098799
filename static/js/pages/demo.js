// /demo/<slug>: hands the share link from the URL fragment to <itellico-call> (which sends it in the
// create body) and, when there is a link, checks it first. A link-only demo arrives as a neutral shell
// (the server cannot see the fragment, so it names nothing); a valid link fills in its title, brand and
// suggestions. A missing, changed or expired link replaces the page with its notice; on a public demo a
// changed, expired or withdrawn link's notice also offers the demo without the link, as any visitor sees it.
import { checkLink, linkFromFragment } from '../share-link.js';

// An async script (templates/demo.html, so the check need not wait for the element's code) may run
// before the page is parsed: wait for the end of parsing, which comes before the deferred scripts run
// (DOMContentLoaded would wait for them).
if (document.readyState === 'loading') {
  await new Promise((resolve) => document.addEventListener('readystatechange', resolve, { once: true }));
}
const root = /** @type {HTMLElement|null} */ (document.querySelector('.demo'));
const element = root?.querySelector('itellico-call');
const shell = root?.dataset.access === 'link-only';
const pageTitle = document.title;
const REASONS = { link_invalid: 'tampered', link_expired: 'expired', link_revoked: 'revoked', link_required: 'link_only' };

/**
 * The rep who owns a genuinely signed link, as the link check names them (webcall/link_contact.py).
 * @typedef {{name: string, email: string, subject: string}} Contact
 */

/** @returns {Contact|null} */
function readContact(value) {
  if (!value || typeof value.email !== 'string' || !value.email.includes('@')) return null;
  return { name: typeof value.name === 'string' ? value.name : '', email: value.email, subject: String(value.subject ?? '') };
}

/** `sentence` with its `{contact}` as a mailto link to the rep (text only: textContent, no markup). */
function sayWithContact(target, sentence, /** @type {Contact} */ contact) {
  const [before, after = ''] = sentence.split('{contact}');
  const mail = document.createElement('a');
  mail.href = `mailto:${encodeURIComponent(contact.email).replace(/%40/g, '@')}?subject=${encodeURIComponent(contact.subject)}`;
  mail.textContent = contact.name || contact.email;
  mail.dataset.contact = '';
  target.replaceChildren(before, mail, after);
}

/**
 * @param {string} reason @param {Contact|null} [contact] the link's rep: the notice asks them by name
 * @returns {ChildNode[]} the notice's nodes, now in the page where the demo was
 */
function showUnavailable(reason, contact = null) {
  const template = /** @type {HTMLTemplateElement|null} */ (document.querySelector(`template[data-unavailable="${reason}"]`));
  if (!template || !root) return [];
  const notice = /** @type {DocumentFragment} */ (template.content.cloneNode(true));
  const named = /** @type {HTMLTemplateElement|null} */ (document.querySelector(`template[data-lead-contact="${reason}"]`));
  const lead = notice.querySelector('.page__lead');
  if (contact && named && lead) sayWithContact(lead, named.content.textContent ?? '', contact);
  const shown = [...notice.childNodes];
  root.replaceWith(notice);
  document.title = `${template.content.querySelector('h1')?.textContent ?? ''} · itellico`;
  return shown;
}

/**
 * A public demo's page opened with an ended or changed link: a button under the notice drops the link from the URL
 * (no reload, no history entry) and shows the demo as any visitor sees it, without the link's variables.
 * The server renders its template only for a public demo. @param {ChildNode[]} shown the notice's nodes
 */
function offerWithoutLink(shown) {
  const template = /** @type {HTMLTemplateElement|null} */ (document.querySelector('template[data-without-link]'));
  const notice = shown.find((node) => node instanceof HTMLElement && node.matches('.unavailable'));
  if (!(notice instanceof HTMLElement)) return;
  const button = template?.content.querySelector('button')?.cloneNode(true);
  if (!root || !element || !(button instanceof HTMLButtonElement)) return;
  notice.append(button);
  button.addEventListener('click', () => {
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
    element.removeAttribute('link');
    shown[0].before(root);
    for (const node of shown) node.remove();
    document.title = pageTitle;
    // The button is gone: the focus goes to the demo's heading, not back to the top of the page.
    const title = /** @type {HTMLElement|null} */ (root.querySelector('.demo__title'));
    title?.setAttribute('tabindex', '-1');
    title?.focus();
  }, { once: true });
}

/** Fill the shell with what the valid link unlocked (text only: textContent and attributes). */
function fill(content) {
  const title = root.querySelector('[data-slot="title"]');
  title.textContent = content.title;
  title.removeAttribute('aria-busy');
  const lead = /** @type {HTMLElement} */ (root.querySelector('[data-slot="description"]'));
  lead.textContent = content.description ?? '';
  lead.hidden = !content.description;
  const header = root.querySelector('.demo__brand');
  if (content.company) {
    if (content.logo) {
      // Decorative: the company's name follows it (a screen reader said the name twice).
      const logo = Object.assign(document.createElement('img'), { className: 'demo__logo', src: content.logo, alt: '' });
      logo.height = 40;
      header.append(logo);
    }
    const company = Object.assign(document.createElement('span'), { className: 'demo__company', textContent: content.company });
    company.dataset.brand = 'company';
    header.append(company);
  }
  const suggestions = /** @type {HTMLElement} */ (root.querySelector('[data-slot="suggestions"]'));
  const [open, close] = suggestions.dataset.quotes ?? '“”'; // the language's quotation marks (demo_page.py)
  for (const text of content.suggestions ?? []) {
    suggestions.querySelector('ul').append(Object.assign(document.createElement('li'), { textContent: `${open}${text}${close}`, dir: 'auto' }));
  }
  suggestions.hidden = !(content.suggestions ?? []).length;
  if (content.display_name) element.setAttribute('agent-name', content.display_name);
  if (content.consent_text) element.setAttribute('consent-text', content.consent_text);
  if (content.max_call_seconds) element.setAttribute('max-call-seconds', String(content.max_call_seconds));
  document.title = [content.title, content.company, 'itellico'].filter(Boolean).join(' · ');
  element.hidden = false;
}

async function main() {
  if (!root || !element) return;
  const link = linkFromFragment(location.hash);
  if (!link) {
    if (shell) showUnavailable('link_only');
    return;
  }
  element.setAttribute('link', link);
  const checked = await checkLink(root.dataset.demo ?? '', link);
  const contact = readContact(checked.contact);
  if (!checked.ok) {
    const reason = REASONS[checked.error.code] ?? 'failed';
    const shown = showUnavailable(reason, contact);
    // Not when the check itself failed (network): trying again is the way there, with the link.
    if (!shell && reason !== 'failed') offerWithoutLink(shown);
    return;
  }
  root.dataset.link = 'valid';
  if (shell) fill(checked.data);
  if (contact) {
    element.addEventListener('itellico-call:ended', (event) => {
      thank(contact, /** @type {CustomEvent} */ (event).detail?.durationSeconds != null);
    });
  }
}

/**
 * After a call on a link's page: thanks (when a conversation took place: the agent answered), and whom
 * to write to with questions (the link's rep). @param {Contact} contact @param {boolean} talked
 */
function thank(contact, talked) {
  const line = /** @type {HTMLElement|null} */ (root?.querySelector('[data-slot="thanks"]'));
  if (!line || !element) return;
  const agent = element.getAttribute('agent-name') || root?.querySelector('[data-brand="company"]')?.textContent;
  // A function, so a `$&` or `$'` in a name is text, not a replacement pattern.
  const thanks = agent ? (line.dataset.thanksAgent ?? '').replace('{agent}', () => agent) : line.dataset.thanks ?? '';
  const questions = document.createElement('span');
  sayWithContact(questions, line.dataset.thanksContact ?? '', contact);
  line.replaceChildren(...(talked ? [`${thanks} `] : []), ...questions.childNodes);
}

main();
// Another link pasted into this tab changes only the fragment, which loads nothing: start over.
window.addEventListener('hashchange', () => location.reload());
