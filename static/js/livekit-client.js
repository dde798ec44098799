// The part of livekit-client a call uses. livekit-loader.js imports this module lazily (on hover, focus
// or a click), never the element statically. Served as it is (WEBCALL_ASSETS=source), the browser then
// fetches the whole pinned bundle from /vendor/; in the minified build (scripts/build-assets.mjs) this
// file *is* livekit-client, bundled with only these exports, so its unused parts are left out.
// Every name the app reads from the livekit module must be listed here (in both modes alike).
// @ts-ignore: a URL the app serves (webcall/pages.py), not a file tsc can resolve
export { LocalAudioTrack, LoggerNames, MediaDeviceFailure, ParticipantKind, Room, RoomEvent, RpcError, Track, TrackEvent, getLogger } from '../../vendor/livekit-client.esm.mjs';
