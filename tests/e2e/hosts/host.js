// The sample host page's own script: records what a site owner's code would see. Runs before the widget.
(() => {
  const events = [];
  const messages = [];
  const baseline = Object.getOwnPropertyNames(window);
  for (const type of ['state', 'agent-state', 'transcript', 'error', 'ended']) {
    document.addEventListener(`itellico-call:${type}`, (e) => {
      const from = e.target.getAttribute('data-demo') ?? e.target.getAttribute('demo');
      events.push({ type, demo: from, tag: e.target.localName, detail: JSON.parse(JSON.stringify(e.detail ?? null)) });
    });
  }
  // Messages from a framed widget, also as a list in the page, so tests can wait on the DOM (a strict CSP
  // forbids the eval that polling a JS expression would need).
  const log = document.createElement('ol');
  log.id = 'message-log';
  log.hidden = true;
  document.addEventListener('DOMContentLoaded', () => document.body.append(log));
  window.addEventListener('message', (e) => {
    messages.push({ origin: e.origin, data: e.data });
    const item = document.createElement('li');
    item.dataset.type = e.data?.type ?? '';
    item.dataset.state = e.data?.detail?.state ?? '';
    item.dataset.id = e.data?.detail?.id ?? '';
    log.append(item);
  });
  // One object for the tests; it is part of the baseline, so only the widget's own globals show up as new.
  window.hostRecord = { events, messages, baseline: [...baseline, 'hostRecord'] };
})();
