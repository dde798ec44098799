// The baseline for bench/click_to_audio.py: the obvious page that does each step only after the
// previous one finished (create the call, load livekit-client, connect, publish the mic), then
// waits for the agent's audio. Same server, same agent, same browser as our page.
const button = document.getElementById('call');
window.bench = { clickedAt: null, firstAudioAt: null, error: null };

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

button.addEventListener('click', async () => {
  window.bench.clickedAt = performance.now();
  try {
    const response = await fetch('/api/calls', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mode: 'voice' }),
    });
    const call = await response.json();
    const lk = await import('/vendor/livekit-client.esm.mjs');
    const room = new lk.Room();
    room.on(lk.RoomEvent.TrackSubscribed, (track) => { if (track.kind === 'audio') document.body.append(track.attach()); });
    await room.connect(call.livekit_url, call.token, call.rtc_config ? { rtcConfig: call.rtc_config } : {});
    await room.localParticipant.setMicrophoneEnabled(true);
    window.benchRoom = room;
    while ((await inboundAudioBytes(room)) === 0) await new Promise((r) => setTimeout(r, 20));
    window.bench.firstAudioAt = performance.now();
  } catch (err) {
    window.bench.error = String(err);
  }
});
