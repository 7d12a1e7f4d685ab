/**
 * The outcome of an offer/answer exchange for our one audio stream: everything the media engine
 * needs to start (or update) RTP, and nothing from SDP's own vocabulary.
 */
import type { CodecName } from './codecs.ts';
import type { Direction, MediaDescription } from './session-description.ts';
import type { SrtpSuite } from './srtp-key.ts';

export interface NegotiatedCodec {
  name: CodecName;
  /** The payload type we send with: the number the other side announced for the codec. */
  payloadType: number;
  /**
   * The payload type we receive with, only when it differs from `payloadType` (an answer may
   * number a codec differently from our offer, RFC 3264 §6.1 says SHOULD not MUST).
   */
  receivePayloadType?: number;
  /** RTP clock rate (opus 48000, G.722 8000, others 8000). */
  clockRate: number;
  /** a=rtpmap channels (opus: 2 on the wire, RFC 7587 §7; others 1). */
  channels: number;
  /**
   * The other side's a=fmtp for this codec, parsed (keys lower-cased): its receiving wishes,
   * which our encoder honours (e.g. opus `useinbandfec`, `maxplaybackrate`; see opusParameters).
   */
  fmtp: Record<string, string>;
  /** Milliseconds of audio per packet we send: the other side's a=ptime, else ours. */
  ptime: number;
  /** The other side's a=maxptime, when it gave one. */
  maxptime?: number;
}

export interface NegotiatedMedia {
  /** Where to send RTP: an IP literal as written in c= (a host name if the peer wrote one). */
  remoteAddress: string;
  remoteRtpPort: number;
  /** Where to send RTCP: the RTP port with rtcp-mux, else a=rtcp (RFC 3605), else RTP port + 1. */
  remoteRtcpPort: number;
  /** The a=rtcp address when it differs from the RTP one (RFC 3605 §2.1). */
  remoteRtcpAddress?: string;
  /** RTP and RTCP share one port (RFC 5761): offered and accepted. */
  rtcpMux: boolean;
  codec: NegotiatedCodec;
  /** RFC 4733 DTMF, when both sides have it. */
  telephoneEvent?: { payloadType: number; clockRate: number };
  /** RFC 3389 comfort noise, when both sides have it. */
  comfortNoise?: { payloadType: number };
  /** SDES-SRTP (RFC 4568) keys: master key ‖ master salt for each direction. */
  srtp?: { suite: SrtpSuite; tag: number; localKey: Uint8Array; remoteKey: Uint8Array };
  /** What WE may do on this stream. */
  direction: Direction;
  /** What the other side said it does (c=0.0.0.0 read as "does not receive", RFC 3264 §8.4). */
  remoteDirection: Direction;
  /** The other side's SSRC when it announced one (a=ssrc, RFC 5576). */
  remoteSsrc?: number;
}

/** The outcome, from the other side's m-line (`remote`) and what was agreed on it. */
export function negotiatedMedia(init: {
  connectionAddress: string;
  remote: MediaDescription;
  rtcpMux: boolean;
  codec: NegotiatedCodec;
  telephoneEvent: NegotiatedMedia['telephoneEvent'];
  comfortNoise: NegotiatedMedia['comfortNoise'];
  srtp: NegotiatedMedia['srtp'];
  direction: Direction;
  remoteDirection: Direction;
}): NegotiatedMedia {
  const { remote } = init;
  const negotiated: NegotiatedMedia = {
    remoteAddress: init.connectionAddress,
    remoteRtpPort: remote.port,
    // RFC 5761 §5.1.3 (mux), RFC 3605 §2.1 (a=rtcp), RFC 3550 §11 (port + 1).
    remoteRtcpPort: init.rtcpMux ? remote.port : (remote.rtcp?.port ?? remote.port + 1),
    rtcpMux: init.rtcpMux,
    codec: init.codec,
    direction: init.direction,
    remoteDirection: init.remoteDirection,
  };
  const rtcpAddress = remote.rtcp?.connection?.address;
  if (!init.rtcpMux && rtcpAddress !== undefined && rtcpAddress !== init.connectionAddress) negotiated.remoteRtcpAddress = rtcpAddress;
  if (init.telephoneEvent !== undefined) negotiated.telephoneEvent = init.telephoneEvent;
  if (init.comfortNoise !== undefined) negotiated.comfortNoise = init.comfortNoise;
  if (init.srtp !== undefined) negotiated.srtp = init.srtp;
  if (remote.ssrcs.length > 0) negotiated.remoteSsrc = remote.ssrcs[0].id;
  return negotiated;
}
