// Loaded by static/widget.js on the first sign of intent (hover, focus or click on the launcher), never
// before: it brings the <itellico-call> element (defining it) and can warm livekit-client.
import './itellico-call.js';
import { loadLivekitClient } from './call-session.js';

/** Fetch livekit-client in the background so a click starts the call without waiting for it. */
export function warm() {
  loadLivekitClient().catch(() => { /* reported when the call starts */ });
}
