/**
 * The offer/answer model (RFC 3264) for one audio stream.
 *
 *   caller                                   callee
 *   createOffer(local) ──── INVITE + offer ──▶ createAnswer({ offer, ...local })
 *                                              → { answer, negotiated } or { answer, rejected }
 *   processAnswer({ offer, answer }) ◀── 200 + answer
 *   → negotiated
 *
 * SRTP policy (SDP Security Descriptions, RFC 4568):
 *   'off'        RTP/AVP without a=crypto; an RTP/SAVP offer is rejected.
 *   'mandatory'  RTP/SAVP with a=crypto; an offer without a usable a=crypto is rejected.
 *   'optional'   "best-effort SRTP": RTP/AVP WITH a=crypto lines. Not in any RFC (RFC 5939
 *                capability negotiation is the standard way, and nearly nobody implements it),
 *                but it is what baresip (`mediaenc srtp`), linphone ("SRTP optional") and
 *                Asterisk accept: a peer that knows SDES answers with a=crypto and both sides
 *                encrypt; a peer that does not ignores the attribute and the call is plain RTP.
 *                Answering, we encrypt when the offer carries a usable a=crypto, else not.
 *
 * Codecs: we answer with ONE codec (plus telephone-event and CN), so the media engine never has
 * to follow a peer switching codecs mid-stream; we keep the offer's payload type numbers
 * (§6.1) and pick by our preference order unless `preferOffererOrder` is set.
 *
 * Only the first acceptable audio stream is used; every other m-line is answered with port 0,
 * in place, so the answer has as many m-lines as the offer (§6).
 *
 * Where each step lives:
 *   create-offer.ts     the offer, and a re-offer in the same session (§5, §8)
 *   create-answer.ts    answering an offer (§6)
 *   process-answer.ts   reading the answer to our offer (§7)
 *   received-limits.ts  what we take of a received description (proto, ptime, m-line count)
 *   payload-formats.ts  formats by meaning, shared by all three
 * This file holds the options they take and the pieces of our own side they share.
 */
import { randomInt } from 'node:crypto';
import { CODECS } from './codecs.ts';
import type { CodecName } from './codecs.ts';
import { formatSdp } from './format-sdp.ts';
import type { NegotiatedMedia } from './negotiated-media.ts';
import type { LocalVideo, NegotiatedVideo } from './video-media.ts';
import { addressTypeOf, emptyMedia } from './session-description.ts';
import type { CryptoAttribute, Direction, MediaDescription, SessionDescription } from './session-description.ts';
import { SRTP_KEY_LENGTH, decodeSrtpKey, encodeSrtpKey, generateSrtpKey, isSrtpSuite } from './srtp-key.ts';
import type { SrtpSuite } from './srtp-key.ts';

export type SrtpPolicy = 'off' | 'optional' | 'mandatory';

/** What we can do and want, the same whether we offer or answer. */
export interface LocalMedia {
  /** Our RTP address (IPv4 or IPv6 literal): c= and o=. */
  address: string;
  /** Our RTP port. */
  port: number;
  /** Our RTCP port when it is not port + 1: written as a=rtcp (RFC 3605). */
  rtcpPort?: number;
  /** Codecs in our order of preference. */
  codecs: readonly CodecName[];
  /** RFC 4733 DTMF (default true). */
  telephoneEvent?: boolean;
  /** RFC 3389 comfort noise, CN/8000 next to 8000 Hz codecs (default true). */
  comfortNoise?: boolean;
  /** Milliseconds per packet we want to receive (default 20). */
  ptime?: number;
  maxptime?: number;
  /** Offer, or accept, RTP and RTCP on one port (RFC 5761; default false). */
  rtcpMux?: boolean;
  /** See the file comment (default 'off'). */
  srtp?: SrtpPolicy;
  /** Suites offered (and accepted) in order (default the two AES_CM_128 ones; GCM only if asked). */
  cryptoSuites?: readonly SrtpSuite[];
  /**
   * Our key ‖ salt per suite. Missing ones are taken from `previous` (so a re-offer keeps its
   * keys) or generated; NegotiatedMedia.srtp.localKey tells which one is in use.
   */
  srtpKeys?: Partial<Record<SrtpSuite, Uint8Array>>;
  /** What we want to do (default sendrecv): sendonly to hold, inactive, recvonly. */
  direction?: Direction;
  /** Our a=fmtp per codec, replacing the defaults of CODECS (e.g. opus `maxplaybackrate=16000`). */
  fmtp?: Partial<Record<CodecName, string>>;
  /** Our SSRC and RTCP CNAME, announced as a=ssrc (RFC 5576) when given. */
  ssrc?: number;
  cname?: string;
  /** o= username (default "-"), s= (default "-"). */
  username?: string;
  sessionName?: string;
  /** o= sess-id of a new session (default: random). */
  sessionId?: string;
  /**
   * The last SDP we sent in this dialog (offer or answer). A new one keeps its o= username and
   * sess-id, its sess-version + 1 when anything changed, its m-line order, its dynamic payload
   * type numbers and its SRTP keys (RFC 3264 §8).
   */
  previous?: SessionDescription;
  /** Video beside the audio (video-media.ts); absent: no video m-line is offered or accepted. */
  video?: LocalVideo;
}

export type OfferOptions = LocalMedia;

export interface AnswerOptions extends LocalMedia {
  offer: SessionDescription;
  /** Pick the codec by the offerer's order rather than ours (default false). */
  preferOffererOrder?: boolean;
}

export interface AnswerResult {
  /** The answer to send. When nothing was acceptable every stream in it has port 0 (a 488 is also fine). */
  answer: SessionDescription;
  negotiated?: NegotiatedMedia;
  /** The video stream we accepted with the audio, if the offer had one we could take. */
  video?: NegotiatedVideo;
  /** Why the audio stream was rejected, in words. */
  rejected?: string;
}

/** Suites offered and accepted when `cryptoSuites` is not given. */
export const DEFAULT_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

// ---- our side, shared by offer and answer --------------------------------------------------------

/** The m-line of `sd` that carries our audio: the first active audio one, else the first audio one. */
export function audioMediaIndex(sd: SessionDescription): number {
  const active = sd.media.findIndex((m) => m.type === 'audio' && m.port !== 0);
  return active >= 0 ? active : sd.media.findIndex((m) => m.type === 'audio');
}

function keyFromPrevious(previous: SessionDescription | undefined, suite: SrtpSuite): Uint8Array | undefined {
  if (previous === undefined) return undefined;
  const index = audioMediaIndex(previous);
  if (index < 0) return undefined;
  for (const crypto of previous.media[index].crypto) {
    if (crypto.suite === suite && crypto.keyParams.length === 1) {
      const key = decodeSrtpKey(crypto.keyParams[0].keySalt, suite);
      if (key !== undefined) return key;
    }
  }
  return undefined;
}

/** Our key ‖ salt for `suite`: the one given, else the one `previous` announced, else a new one. */
export function localKey(local: LocalMedia, suite: SrtpSuite): Uint8Array {
  const given = local.srtpKeys?.[suite];
  if (given !== undefined) {
    if (given.length !== SRTP_KEY_LENGTH[suite]) throw new TypeError(`srtpKeys.${suite}: expected ${SRTP_KEY_LENGTH[suite]} bytes (master key ‖ master salt), got ${given.length}`);
    return given;
  }
  return keyFromPrevious(local.previous, suite) ?? generateSrtpKey(suite);
}

/** An a=crypto line with one inline key (RFC 4568 §9.1). */
export function cryptoLine(tag: number, suite: SrtpSuite, key: Uint8Array): CryptoAttribute {
  return { tag, suite, keyParams: [{ method: 'inline', keySalt: encodeSrtpKey(key) }], sessionParams: [] };
}

/**
 * RFC 4568 §7.1.2 / §6.3: the first offered a=crypto (offerer's preference) whose suite we
 * accept, with one inline key of the right length, no MKI (our SRTP contexts have none) and no
 * session parameters (an answerer must refuse a line with parameters it does not apply).
 */
export function chooseCrypto(offered: CryptoAttribute[], suites: readonly SrtpSuite[]): { crypto: CryptoAttribute; suite: SrtpSuite; remoteKey: Uint8Array } | undefined {
  for (const crypto of offered) {
    const suite = crypto.suite;
    if (!isSrtpSuite(suite) || !suites.includes(suite)) continue;
    if (crypto.keyParams.length !== 1 || crypto.keyParams[0].mki !== undefined || crypto.sessionParams.length > 0) continue;
    const remoteKey = decodeSrtpKey(crypto.keyParams[0].keySalt, suite);
    if (remoteKey !== undefined) return { crypto, suite, remoteKey };
  }
  return undefined;
}

/** Rejects bad LocalMedia at the boundary, naming the option. */
export function checkLocal(local: LocalMedia): void {
  if (local.codecs.length === 0) throw new TypeError('codecs: at least one codec is needed');
  for (const c of local.codecs) if (!(c in CODECS)) throw new TypeError(`codecs: unknown codec "${c}"`);
  if (!Number.isInteger(local.port) || local.port < 0 || local.port > 65535) throw new TypeError(`port: expected 0..65535, got ${local.port}`);
  for (const s of local.cryptoSuites ?? []) if (!isSrtpSuite(s)) throw new TypeError(`cryptoSuites: unknown suite "${s}"`);
}

/** Lines every stream we write shares: ptime, maxptime, rtcp, rtcp-mux, direction, ssrc. */
export function addCommonAttributes(m: MediaDescription, local: LocalMedia, options: { rtcpMux: boolean; direction: Direction }): void {
  m.ptime = local.ptime ?? 20;
  if (local.maxptime !== undefined) m.maxptime = local.maxptime;
  if (local.rtcpPort !== undefined && local.rtcpPort !== local.port + 1) m.rtcp = { port: local.rtcpPort };
  m.rtcpMux = options.rtcpMux;
  m.direction = options.direction;
  if (local.ssrc !== undefined && local.cname !== undefined) m.ssrcs.push({ id: local.ssrc >>> 0, attribute: 'cname', value: local.cname });
}

/** A rejected copy of an offered or previous m-line: port 0, same type, proto and formats (§6, §8.2). */
export function rejectedCopy(m: MediaDescription): MediaDescription {
  return emptyMedia({ type: m.type, port: 0, proto: m.proto, formats: m.formats.length > 0 ? [...m.formats] : ['0'] });
}

function newOrigin(local: LocalMedia): SessionDescription['origin'] {
  const previous = local.previous?.origin;
  const addressType = addressTypeOf(local.address);
  if (previous !== undefined) return { ...previous, addressType, address: local.address };
  const sessionId = local.sessionId ?? String(randomInt(1, 2 ** 47));
  return { username: local.username ?? '-', sessionId, sessionVersion: sessionId, addressType, address: local.address };
}

/** The session-level lines of an SDP we send, around `media`. */
export function session(local: LocalMedia, media: MediaDescription[]): SessionDescription {
  return {
    origin: newOrigin(local),
    sessionName: local.previous?.sessionName ?? local.sessionName ?? '-',
    emails: [],
    phones: [],
    connection: { addressType: addressTypeOf(local.address), address: local.address },
    bandwidths: [],
    timing: [{ start: 0, stop: 0, repeats: [] }],
    attributes: [],
    media,
  };
}

/**
 * RFC 3264 §8: a new SDP in the same session keeps o= but for sess-version, which goes up by
 * one when anything changed and stays when nothing did (a session refresh re-sends the same SDP).
 */
export function withNextVersion(next: SessionDescription, previous: SessionDescription | undefined): SessionDescription {
  if (previous === undefined) return next;
  const same = { ...next, origin: { ...next.origin, sessionVersion: previous.origin.sessionVersion } };
  if (formatSdp(same) === formatSdp(previous)) return same;
  return { ...next, origin: { ...next.origin, sessionVersion: String(BigInt(previous.origin.sessionVersion) + 1n) } };
}
