/**
 * What we take of a description the far end sent, offer or answer: its transport protocol, its
 * packet times, its number of m-lines. Past these limits an offer is answered with port 0 and an
 * answer is refused, each with the reason in words.
 */
import type { MediaDescription } from './session-description.ts';

/** How an m-line's proto carries RTP: plain, SDES-SRTP, or a reason we cannot take it. */
export function protoKind(proto: string): 'plain' | 'secure' | { reason: string } {
  switch (proto.toUpperCase()) {
    case 'RTP/AVP':
    case 'RTP/AVPF':
      return 'plain';
    case 'RTP/SAVP':
    case 'RTP/SAVPF':
      return 'secure';
    case 'UDP/TLS/RTP/SAVP':
    case 'UDP/TLS/RTP/SAVPF':
      return { reason: `DTLS-SRTP (${proto}) is not supported; only SDES-SRTP (RTP/SAVP with a=crypto)` };
    default:
      return { reason: `unsupported transport protocol ${proto}` };
  }
}

/**
 * Packet times we send and take (ms). A far end asking for a=ptime:100000 would otherwise have
 * us send nothing at all; RFC 4566 §6 sets no bound, so this is ours (G.711 packs at most 120).
 */
export const PTIME_RANGE = { min: 10, max: 120 } as const;
/** m= lines in one description at most: a phone has use for a handful. */
export const MAX_MEDIA_LINES = 16;

/** Why the far end's a=ptime / a=maxptime cannot be honoured; undefined when they can. */
export function ptimeProblem(m: MediaDescription): string | undefined {
  if (m.ptime !== undefined && (m.ptime < PTIME_RANGE.min || m.ptime > PTIME_RANGE.max)) {
    return `a=ptime:${m.ptime} is out of range (${PTIME_RANGE.min} to ${PTIME_RANGE.max} ms)`;
  }
  // A large maxptime is only a ceiling (Asterisk says 150); one below our shortest packet is not.
  if (m.maxptime !== undefined && m.maxptime < PTIME_RANGE.min) return `a=maxptime:${m.maxptime} is below ${PTIME_RANGE.min} ms`;
  return undefined;
}
