// Talks to the framed widget through its postMessage bridge, as a site owner's code would.
(() => {
  const frame = document.getElementById('call-frame');
  const appOrigin = new URL(frame.src).origin;
  window.hostRecord.send = (message) => frame.contentWindow.postMessage({ target: 'itellico-call', ...message }, appOrigin);
  window.hostRecord.appOrigin = appOrigin;
})();
