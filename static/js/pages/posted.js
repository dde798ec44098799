// A page drawn from a POST (a refused form): its history entry becomes a plain visit of the address the
// server names (webcall/history.py), so Back and reload open the page instead of Chromium's "Confirm Form
// Resubmission". Only a top-level page: the editor's preview frame answers POSTs too, and its entry must
// not become the editor's address.
const address = document.querySelector('meta[name="history-address"]')?.getAttribute('content');
if (address && window.top === window) history.replaceState(history.state, '', address);
