// The baseline for bench/click_to_audio.py: the obvious page that does each step only after the
// previous one finished (create the call, load livekit-client, connect, publish the microphone), then
// waits for the agent's audio. Same server, same agent, same browser, same minified livekit-client
// as our page. It opens the microphone first thing in the click, as a careful page does, so words
// said from the click on are in the track; they reach the agent only once the track is published.
const button = document.getElementById('call');
window.bench = { clickedAt: null, firstAudioAt: null, heard: null, error: null, marks: {} };
const mark = (name) => { window.bench.marks[name] = Math.round(performance.now() - window.bench.clickedAt); };

async function inboundAudioBytes(room) {
  let bytes = 0;
  for (const participant of room.remoteParticipants.values()) {
    for (const publication of participant.audioTrackPublications.values()) {
      const report = await publication.track?.getRTCStatsReport();
      report?.forEach((s) => { if (s.type === 'inbound-rtp') bytes += s.bytesReceived ?? 0; });
    }
  }
  return bytes;
}

/** The first final transcript of our own speech, as the agent recognised it. */
function listenForUs(room) {
  room.registerTextStreamHandler('lk.transcription', async (reader, info) => {
    const text = await reader.readAll();
    const final = reader.info.attributes?.['lk.transcription_final'] === 'true';
    if (info.identity === room.localParticipant.identity && final && text.trim() && !window.bench.heard) {
      window.bench.heard = { ms: performance.now() - window.bench.clickedAt, text };
    }
  });
}

button.addEventListener('click', async () => {
  window.bench.clickedAt = performance.now();
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const response = await fetch('/api/calls', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mode: 'voice' }),
    });
    const call = await response.json();
    mark('created');
    const lk = await import('/static/js/livekit-client.js');
    const room = new lk.Room();
    window.benchRoom = room;
    room.on(lk.RoomEvent.TrackSubscribed, (track) => { mark('subscribed'); if (track.kind === 'audio') document.body.append(track.attach()); });
    room.on(lk.RoomEvent.ParticipantConnected, () => mark('agent joined'));
    listenForUs(room);
    await room.connect(call.livekit_url, call.token, call.rtc_config ? { rtcConfig: call.rtc_config } : {});
    mark('connected');
    await room.localParticipant.publishTrack(stream.getAudioTracks()[0], { source: lk.Track.Source.Microphone });
    mark('published');
    while ((await inboundAudioBytes(room)) === 0) await new Promise((r) => setTimeout(r, 20));
    window.bench.firstAudioAt = performance.now();
  } catch (err) {
    window.bench.error = String(err);
  }
});
