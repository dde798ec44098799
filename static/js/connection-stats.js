// Inbound audio counters and the selected ICE pair of the agent's audio, from its RTC stats.
// For diagnostics and end-to-end tests (they prove audio arrives and over which path).

/**
 * @typedef {{remoteAddress: string|null, remotePort: number|null, protocol: string|null, localAddress: string|null, localPort: number|null, localType: string|null}} CandidatePair
 * @typedef {{inboundAudioBytes: number, inboundAudioPackets: number, selectedPair: CandidatePair|null}} ConnectionStats
 */

/**
 * @param {any} track the agent's RemoteAudioTrack, or null
 * @returns {Promise<ConnectionStats>}
 */
export async function connectionStats(track) {
  /** @type {ConnectionStats} */
  const result = { inboundAudioBytes: 0, inboundAudioPackets: 0, selectedPair: null };
  const report = await track?.getRTCStatsReport?.().catch(() => undefined);
  if (!report) return result;
  /** @type {any[]} */
  const stats = [...report.values()];
  const byId = new Map(stats.map((s) => [s.id, s]));
  for (const s of stats) {
    if (s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === 'audio') {
      result.inboundAudioBytes += s.bytesReceived ?? 0;
      result.inboundAudioPackets += s.packetsReceived ?? 0;
    }
  }
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pair = byId.get(transport?.selectedCandidatePairId) ??
    stats.find((s) => s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated);
  if (pair) {
    const local = byId.get(pair.localCandidateId) ?? {};
    const remote = byId.get(pair.remoteCandidateId) ?? {};
    result.selectedPair = {
      remoteAddress: remote.address ?? remote.ip ?? null,
      remotePort: remote.port ?? null,
      protocol: remote.protocol ?? local.protocol ?? null,
      localAddress: local.address ?? local.ip ?? null,
      localPort: local.port ?? null,
      localType: local.candidateType ?? null, // 'relay' when the media goes through a TURN server
    };
  }
  return result;
}
