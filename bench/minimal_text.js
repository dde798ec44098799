// The baseline for bench/text_greeting.py: the obvious text-call page. On the click it creates the call,
// loads livekit-client, joins the room (publishing nothing: a text visitor has no microphone) and
// shows the agent's first transcript. Same server, agent, browser and minified livekit-client as ours.
const button = document.getElementById('call');
window.bench = { clickedAt: null, greetedAt: null, error: null };

button.addEventListener('click', async () => {
  window.bench.clickedAt = performance.now();
  try {
    const response = await fetch('/api/calls', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mode: 'text' }),
    });
    const call = await response.json();
    const lk = await import('/static/js/livekit-client.js');
    const room = new lk.Room();
    window.benchRoom = room;
    room.registerTextStreamHandler('lk.transcription', async (reader, info) => {
      for await (const chunk of reader) { // the first words on screen, as our page shows them
        if (info.identity !== room.localParticipant.identity && chunk.trim() && !window.bench.greetedAt) {
          window.bench.greetedAt = performance.now();
          document.getElementById('out').textContent = chunk;
        }
      }
    });
    await room.connect(call.livekit_url, call.token, call.rtc_config ? { rtcConfig: call.rtc_config } : {});
  } catch (err) {
    window.bench.error = String(err);
  }
});
