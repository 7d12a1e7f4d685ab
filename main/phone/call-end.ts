/**
 * Why a call ended, as a code (contract/end-codes.ts) beside the engine's English words: the UI
 * words the code in its own language, the CLI prints the words. Pure: everything it needs comes in.
 */
import { endCodeOfStatus, type EndCode } from '../contract/end-codes.ts';
import type { SessionDescription, SrtpPolicy } from '../sdp/index.ts';
import type { TerminationInfo } from '../sip/index.ts';

export { endCodeOfStatus };

/** How a call ends: the code, the English words, and the code's parameter (a transfer's target). */
export interface CallEnd {
  code: EndCode;
  reason: string;
  target?: string;
}

/**
 * The code for an ended INVITE session. `offeredSrtp` is the SRTP policy of the offer we sent
 * (outgoing calls): a 488 to a plain RTP/AVP offer (policy 'off') is read as the other side
 * requiring SRTP, the usual cause when every common codec (G.711 at least) was offered.
 */
export function endCodeOf(info: Pick<TerminationInfo, 'cause' | 'by' | 'status' | 'reason' | 'reasonHeader'>, offeredSrtp?: SrtpPolicy): EndCode {
  switch (info.cause) {
    case 'bye':
      return info.by === 'local' ? 'local-hangup' : 'remote-hangup';
    case 'cancel':
      // RFC 3326: a CANCEL with Reason cause=200 says another of the callee's phones answered.
      if (info.by === 'remote') return info.reasonHeader?.protocol.toUpperCase() === 'SIP' && info.reasonHeader.cause === 200 ? 'answered-elsewhere' : 'caller-cancelled';
      return 'cancelled';
    case 'no-ack':
    case 'no-prack':
    case 'session-expired':
      return 'timeout';
    case 'error':
      return 'network';
    case 'rejected':
    case 'failed':
      if (info.status === undefined) return 'failed';
      if (info.status === 488 && info.by === 'remote' && offeredSrtp === 'off') return 'srtp-required';
      return endCodeOfStatus(info.status, info.reason);
  }
}

/** The first audio stream of an SDP asks for SRTP only (RTP/SAVP or RTP/SAVPF, RFC 3711, 5124). */
export function savpOnly(sd: SessionDescription | undefined): boolean {
  const audio = sd?.media.find((m) => m.type === 'audio' && m.port !== 0);
  return audio !== undefined && /\/SAVPF?$/i.test(audio.proto);
}

/**
 * Why SDP could not be agreed, as a code: the other side requires SRTP (its offer or answer is
 * RTP/SAVP only) while we do not encrypt (policy 'off'), or no common codec/media.
 */
export function mediaRefusal(theirs: SessionDescription | undefined, ours: SrtpPolicy): EndCode {
  return ours === 'off' && savpOnly(theirs) ? 'srtp-required' : 'no-common-codec';
}

/** The English words for the SRTP case (the CLI prints them; the UI words the code). */
export const SRTP_REQUIRED_WORDS = 'the other side requires encryption (SRTP): turn it on in Settings';
