/**
 * Our typed model of a session description (RFC 8866, which obsoletes RFC 4566), with the
 * attributes a voice call needs lifted into fields and every other attribute kept verbatim,
 * in order, so that nothing a peer sent is lost when we read and write it again.
 *
 *   v=0                                        version (always 0)
 *   o=<username> <sess-id> <sess-version> IN IP4 <address>     origin
 *   s=<session name>
 *   c=IN IP4 <address>                         connection, session level or per media
 *   t=<start> <stop>                           timing (0 0 for a call)
 *   a=sendrecv                                 direction, session level or per media
 *   m=audio <port> RTP/AVP <payload types>     one media description per stream
 *   a=rtpmap / a=fmtp / a=ptime / a=maxptime / a=rtcp / a=rtcp-mux / a=crypto / a=ssrc …
 *
 * `parseSdp` and `formatSdp` live in their own files and are re-exported here.
 */

/** RFC 3264 §5.1 / RFC 8866 §6.7: what a stream may do, seen from the side that wrote it. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** RFC 8866 §5.7: `IN IP4` or `IN IP6` (the only network type is IN). */
export type AddressType = 'IP4' | 'IP6';

/** o= (RFC 8866 §5.2). sess-id and sess-version are decimal strings: real ones exceed 2^53. */
export interface Origin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  addressType: AddressType;
  address: string;
}

/**
 * c= (RFC 8866 §5.7). `address` is the connection-address as written: an IP literal, a host
 * name, or (multicast) an address with `/ttl` and `/count` suffixes.
 */
export interface Connection {
  addressType: AddressType;
  address: string;
}

/** b= (RFC 8866 §5.8), e.g. `{ type: 'AS', value: 64 }` or `{ type: 'TIAS', value: 64000 }`. */
export interface Bandwidth {
  type: string;
  value: number;
}

/** t= with its r= lines (RFC 8866 §5.9, §5.10). A call has one `{ start: 0, stop: 0 }`. */
export interface Timing {
  start: number;
  stop: number;
  repeats: string[];
}

/** An attribute we keep verbatim: `a=<name>` (flag, no value) or `a=<name>:<value>`. */
export interface Attribute {
  name: string;
  value?: string;
}

/** a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>] (RFC 8866 §6.6). */
export interface RtpMap {
  payloadType: number;
  encodingName: string;
  clockRate: number;
  channels?: number;
}

/** a=fmtp:<payload type> <parameters> (RFC 8866 §6.15); `parameters` as written. */
export interface Fmtp {
  payloadType: number;
  parameters: string;
}

/** a=rtcp:<port> [IN IP4 <address>] (RFC 3605). */
export interface RtcpAttribute {
  port: number;
  connection?: Connection;
}

/**
 * One key-param of an a=crypto line with the `inline` method (RFC 4568 §6.1, §9.1):
 *   inline:<key‖salt, base64>[|<lifetime>][|<MKI>:<MKI length>]
 * `lifetime` as written (`2^31` or a decimal count of packets).
 */
export interface CryptoKeyParam {
  method: 'inline';
  keySalt: string;
  lifetime?: string;
  mki?: { value: string; length: number };
}

/** a=crypto:<tag> <crypto-suite> <key-params> [<session-params>] (RFC 4568 §9.1). */
export interface CryptoAttribute {
  tag: number;
  suite: string;
  keyParams: CryptoKeyParam[];
  /** Session parameters (`KDR=…`, `UNENCRYPTED_SRTP`…, RFC 4568 §6.3) as written. */
  sessionParams: string[];
}

/** a=ssrc:<ssrc-id> <attribute>[:<value>] (RFC 5576 §4.1), e.g. `cname:…`. */
export interface SsrcAttribute {
  id: number;
  attribute: string;
  value?: string;
}

/** m= and the lines under it (RFC 8866 §5.14). */
export interface MediaDescription {
  /** `audio`, `video`, `application`, `image`… */
  type: string;
  /** 0 = the stream is rejected or disabled (RFC 3264 §6, §8.2). */
  port: number;
  /** The `/<number of ports>` suffix of m=, when written. */
  portCount?: number;
  /** `RTP/AVP`, `RTP/SAVP`, `RTP/AVPF`, `RTP/SAVPF`, or anything else a peer wrote. */
  proto: string;
  /** The fmt list of m= as written: RTP payload type numbers for the RTP profiles. */
  formats: string[];
  information?: string;
  connection?: Connection;
  bandwidths: Bandwidth[];
  key?: string;
  rtpmaps: RtpMap[];
  fmtps: Fmtp[];
  /** a=ptime, milliseconds of media per packet (RFC 8866 §6.4). */
  ptime?: number;
  /** a=maxptime (RFC 8866 §6.5). */
  maxptime?: number;
  /** Media-level direction; when absent the session-level one applies (RFC 8866 §6.7). */
  direction?: Direction;
  rtcp?: RtcpAttribute;
  /** a=rtcp-mux (RFC 5761 §5.1.1). */
  rtcpMux: boolean;
  crypto: CryptoAttribute[];
  ssrcs: SsrcAttribute[];
  /** Every other media-level attribute, in order. */
  attributes: Attribute[];
}

export interface SessionDescription {
  origin: Origin;
  /** s= ("-" when a session has no name). */
  sessionName: string;
  information?: string;
  uri?: string;
  emails: string[];
  phones: string[];
  connection?: Connection;
  bandwidths: Bandwidth[];
  timing: Timing[];
  /** z= as written. */
  timeZones?: string;
  key?: string;
  /** Session-level direction (RFC 8866 §6.7); a media-level one wins. */
  direction?: Direction;
  /** Every other session-level attribute, in order. */
  attributes: Attribute[];
  media: MediaDescription[];
}

/** The direction that applies to `media`: its own, else the session's, else sendrecv (RFC 8866 §6.7). */
export function mediaDirection(sd: SessionDescription, media: MediaDescription): Direction {
  return media.direction ?? sd.direction ?? 'sendrecv';
}

/** The connection that applies to `media`: its own c= wins over the session's (RFC 8866 §5.7). */
export function mediaConnection(sd: SessionDescription, media: MediaDescription): Connection | undefined {
  return media.connection ?? sd.connection;
}

/** `IP6` for an address holding a colon, else `IP4` (host names go as IP4, as peers do). */
export function addressTypeOf(address: string): AddressType {
  return address.includes(':') ? 'IP6' : 'IP4';
}

/** A media description with every list empty, for building one field by field. */
export function emptyMedia(init: Pick<MediaDescription, 'type' | 'port' | 'proto' | 'formats'>): MediaDescription {
  return { ...init, bandwidths: [], rtpmaps: [], fmtps: [], rtcpMux: false, crypto: [], ssrcs: [], attributes: [] };
}

export { parseSdp } from './parse-sdp.ts';
export { formatSdp } from './format-sdp.ts';
