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
 */
import { randomInt } from 'node:crypto';
import {
  CODECS,
  COMFORT_NOISE,
  COMFORT_NOISE_PAYLOAD_TYPE,
  DYNAMIC_PAYLOAD_TYPES,
  TELEPHONE_EVENT,
  TELEPHONE_EVENT_FMTP,
  describeMeaning,
  formatEventList,
  meaningOfPayloadType,
  parseEventList,
  parseFmtpParameters,
} from './codecs.ts';
import type { CodecName, FormatMeaning } from './codecs.ts';
import { isHoldAddress, localDirection, withoutReceive } from './direction.ts';
import { formatSdp } from './format-sdp.ts';
import type { NegotiatedCodec, NegotiatedMedia } from './negotiated-media.ts';
import { SdpError } from './sdp-error.ts';
import { addressTypeOf, emptyMedia, mediaConnection, mediaDirection } from './session-description.ts';
import type { CryptoAttribute, Direction, MediaDescription, RtpMap, SessionDescription } from './session-description.ts';
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
  /** Why the audio stream was rejected, in words. */
  rejected?: string;
}

const DEFAULT_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

// ---- shared helpers ------------------------------------------------------------------------------

/** The m-line of `sd` that carries our audio: the first active audio one, else the first audio one. */
export function audioMediaIndex(sd: SessionDescription): number {
  const active = sd.media.findIndex((m) => m.type === 'audio' && m.port !== 0);
  return active >= 0 ? active : sd.media.findIndex((m) => m.type === 'audio');
}

function meaningsOf(m: MediaDescription): { pt: number; meaning: FormatMeaning; format: string }[] {
  const out: { pt: number; meaning: FormatMeaning; format: string }[] = [];
  for (const format of m.formats) {
    if (!/^\d{1,3}$/.test(format)) continue;
    const pt = Number(format);
    out.push({ pt, format, meaning: meaningOfPayloadType(pt, m.rtpmaps.find((r) => r.payloadType === pt)) });
  }
  return out;
}

function sameMeaning(a: FormatMeaning, b: FormatMeaning): boolean {
  switch (a.kind) {
    case 'codec':
      return b.kind === 'codec' && a.codec === b.codec;
    case 'telephone-event':
    case 'comfort-noise':
      return b.kind === a.kind && a.clockRate === b.clockRate;
    case 'unknown':
      return b.kind === 'unknown' && a.label.toLowerCase() === b.label.toLowerCase();
  }
}

function fmtpOf(m: MediaDescription, pt: number): string | undefined {
  return m.fmtps.find((f) => f.payloadType === pt)?.parameters;
}

/**
 * RFC 4733 §2.1: telephone-event should run at the audio codec's clock rate. Prefer that, then
 * the codec's sampling rate (telephone-event/16000 beside G.722), then 8000, then any.
 */
function pickTelephoneEvent<T extends { clockRate: number }>(events: T[], codec: CodecName): T | undefined {
  const def = CODECS[codec];
  return events.find((e) => e.clockRate === def.clockRate) ?? events.find((e) => e.clockRate === def.sampleRate) ?? events.find((e) => e.clockRate === 8000) ?? events[0];
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

function localKey(local: LocalMedia, suite: SrtpSuite): Uint8Array {
  const given = local.srtpKeys?.[suite];
  if (given !== undefined) {
    if (given.length !== SRTP_KEY_LENGTH[suite]) throw new TypeError(`srtpKeys.${suite}: expected ${SRTP_KEY_LENGTH[suite]} bytes (master key ‖ master salt), got ${given.length}`);
    return given;
  }
  return keyFromPrevious(local.previous, suite) ?? generateSrtpKey(suite);
}

function cryptoLine(tag: number, suite: SrtpSuite, key: Uint8Array): CryptoAttribute {
  return { tag, suite, keyParams: [{ method: 'inline', keySalt: encodeSrtpKey(key) }], sessionParams: [] };
}

function checkLocal(local: LocalMedia): void {
  if (local.codecs.length === 0) throw new TypeError('codecs: at least one codec is needed');
  for (const c of local.codecs) if (!(c in CODECS)) throw new TypeError(`codecs: unknown codec "${c}"`);
  if (!Number.isInteger(local.port) || local.port < 0 || local.port > 65535) throw new TypeError(`port: expected 0..65535, got ${local.port}`);
  for (const s of local.cryptoSuites ?? []) if (!isSrtpSuite(s)) throw new TypeError(`cryptoSuites: unknown suite "${s}"`);
}

/** Lines every stream we write shares: ptime, maxptime, rtcp, rtcp-mux, direction, ssrc. */
function addCommonAttributes(m: MediaDescription, local: LocalMedia, options: { rtcpMux: boolean; direction: Direction }): void {
  m.ptime = local.ptime ?? 20;
  if (local.maxptime !== undefined) m.maxptime = local.maxptime;
  if (local.rtcpPort !== undefined && local.rtcpPort !== local.port + 1) m.rtcp = { port: local.rtcpPort };
  m.rtcpMux = options.rtcpMux;
  m.direction = options.direction;
  if (local.ssrc !== undefined && local.cname !== undefined) m.ssrcs.push({ id: local.ssrc >>> 0, attribute: 'cname', value: local.cname });
}

/** A rejected copy of an offered or previous m-line: port 0, same type, proto and formats (§6, §8.2). */
function rejectedCopy(m: MediaDescription): MediaDescription {
  return emptyMedia({ type: m.type, port: 0, proto: m.proto, formats: m.formats.length > 0 ? [...m.formats] : ['0'] });
}

function newOrigin(local: LocalMedia): SessionDescription['origin'] {
  const previous = local.previous?.origin;
  const addressType = addressTypeOf(local.address);
  if (previous !== undefined) return { ...previous, addressType, address: local.address };
  const sessionId = local.sessionId ?? String(randomInt(1, 2 ** 47));
  return { username: local.username ?? '-', sessionId, sessionVersion: sessionId, addressType, address: local.address };
}

function session(local: LocalMedia, media: MediaDescription[]): SessionDescription {
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

// ---- the offer -----------------------------------------------------------------------------------

/** Payload type numbers of `previous`'s audio stream, by meaning: a session never remaps one (§8.3.2). */
function previousPayloadTypes(previous: SessionDescription | undefined): { find(meaning: FormatMeaning): number | undefined; used: Set<number> } {
  const entries: { pt: number; meaning: FormatMeaning }[] = [];
  const used = new Set<number>();
  const index = previous === undefined ? -1 : audioMediaIndex(previous);
  if (previous !== undefined && index >= 0) {
    for (const e of meaningsOf(previous.media[index])) {
      entries.push(e);
      used.add(e.pt);
    }
  }
  return { find: (meaning) => entries.find((e) => sameMeaning(e.meaning, meaning))?.pt, used };
}

function rtpmapFor(pt: number, meaning: FormatMeaning): RtpMap {
  switch (meaning.kind) {
    case 'codec': {
      const def = CODECS[meaning.codec];
      return { payloadType: pt, encodingName: def.encodingName, clockRate: def.clockRate, ...(def.channels !== 1 ? { channels: def.channels } : {}) };
    }
    case 'telephone-event':
      return { payloadType: pt, encodingName: TELEPHONE_EVENT, clockRate: meaning.clockRate };
    case 'comfort-noise':
      return { payloadType: pt, encodingName: COMFORT_NOISE, clockRate: meaning.clockRate };
    case 'unknown':
      throw new Error('no rtpmap for an unknown format');
  }
}

/**
 * The formats of an audio offer (codecs in preference order, then telephone-event, then CN) with
 * their payload types: kept from `previous`, else static, else the lowest free dynamic one.
 */
export function offerFormats(options: {
  codecs: readonly CodecName[];
  telephoneEvent: boolean;
  comfortNoise: boolean;
  fmtp?: Partial<Record<CodecName, string>>;
  previous?: SessionDescription;
}): { formats: string[]; rtpmaps: RtpMap[]; fmtps: { payloadType: number; parameters: string }[] } {
  const prior = previousPayloadTypes(options.previous);
  const used = new Set(prior.used);
  const wanted: FormatMeaning[] = [];
  for (const codec of new Set(options.codecs)) wanted.push({ kind: 'codec', codec });
  if (options.telephoneEvent) {
    for (const rate of new Set(options.codecs.map((c) => CODECS[c].clockRate))) wanted.push({ kind: 'telephone-event', clockRate: rate });
  }
  if (options.comfortNoise && options.codecs.some((c) => CODECS[c].clockRate === 8000)) wanted.push({ kind: 'comfort-noise', clockRate: 8000 });

  const staticPt = (meaning: FormatMeaning): number | undefined => {
    if (meaning.kind === 'codec') return CODECS[meaning.codec].staticPayloadType;
    if (meaning.kind === 'comfort-noise' && meaning.clockRate === 8000) return COMFORT_NOISE_PAYLOAD_TYPE;
    return undefined;
  };
  const chosen: { pt: number; meaning: FormatMeaning }[] = [];
  for (const meaning of wanted) {
    let pt = prior.find(meaning);
    if (pt === undefined) {
      const fixed = staticPt(meaning);
      if (fixed !== undefined && !chosen.some((c) => c.pt === fixed)) pt = fixed;
    }
    if (pt === undefined) {
      for (let n = DYNAMIC_PAYLOAD_TYPES.min; n <= DYNAMIC_PAYLOAD_TYPES.max; n++) {
        if (!used.has(n)) {
          pt = n;
          break;
        }
      }
    }
    if (pt === undefined) continue; // 32 dynamic numbers used up: drop the format
    used.add(pt);
    chosen.push({ pt, meaning });
  }

  const rtpmaps: RtpMap[] = [];
  const fmtps: { payloadType: number; parameters: string }[] = [];
  for (const { pt, meaning } of chosen) {
    rtpmaps.push(rtpmapFor(pt, meaning));
    const fmtp = meaning.kind === 'codec' ? (options.fmtp?.[meaning.codec] ?? CODECS[meaning.codec].fmtp) : meaning.kind === 'telephone-event' ? TELEPHONE_EVENT_FMTP : undefined;
    if (fmtp !== undefined && fmtp !== '') fmtps.push({ payloadType: pt, parameters: fmtp });
  }
  return { formats: chosen.map((c) => String(c.pt)), rtpmaps, fmtps };
}

/** Puts `audio` where `previous` had its audio stream, and every other previous m-line back disabled (§8). */
function placeInPrevious(audio: MediaDescription, previous: SessionDescription | undefined): MediaDescription[] {
  if (previous === undefined) return [audio];
  const index = audioMediaIndex(previous);
  const media = previous.media.map(rejectedCopy);
  if (index < 0) media.push(audio);
  else media[index] = audio;
  return media;
}

/** Builds an SDP offer (RFC 3264 §5) for one audio stream; a re-offer when `previous` is given (§8). */
export function createOffer(options: OfferOptions): SessionDescription {
  checkLocal(options);
  const policy = options.srtp ?? 'off';
  const audio = emptyMedia({ type: 'audio', port: options.port, proto: policy === 'mandatory' ? 'RTP/SAVP' : 'RTP/AVP', formats: [] });
  const formats = offerFormats({
    codecs: options.codecs,
    telephoneEvent: options.telephoneEvent ?? true,
    comfortNoise: options.comfortNoise ?? true,
    fmtp: options.fmtp,
    previous: options.previous,
  });
  audio.formats = formats.formats;
  audio.rtpmaps = formats.rtpmaps;
  audio.fmtps = formats.fmtps;
  addCommonAttributes(audio, options, { rtcpMux: options.rtcpMux ?? false, direction: options.direction ?? 'sendrecv' });
  if (policy !== 'off') {
    const suites = [...new Set(options.cryptoSuites ?? DEFAULT_SUITES)];
    if (suites.length === 0) throw new TypeError('cryptoSuites: SRTP needs at least one suite');
    // RFC 4568 §5.1: tags are unique per m-line; we number 1, 2, 3… in order of preference.
    audio.crypto = suites.map((suite, i) => cryptoLine(i + 1, suite, localKey(options, suite)));
  }
  return withNextVersion(session(options, placeInPrevious(audio, options.previous)), options.previous);
}

// ---- the answer ----------------------------------------------------------------------------------

type Outcome = { media: MediaDescription; negotiated: NegotiatedMedia } | { reason: string };

function protoKind(proto: string): 'plain' | 'secure' | { reason: string } {
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
 * RFC 4568 §7.1.2 / §6.3: the first offered a=crypto (offerer's preference) whose suite we
 * accept, with one inline key of the right length, no MKI (our SRTP contexts have none) and no
 * session parameters (an answerer must refuse a line with parameters it does not apply).
 */
function chooseCrypto(offered: CryptoAttribute[], suites: readonly SrtpSuite[]): { crypto: CryptoAttribute; suite: SrtpSuite; remoteKey: Uint8Array } | undefined {
  for (const crypto of offered) {
    const suite = crypto.suite;
    if (!isSrtpSuite(suite) || !suites.includes(suite)) continue;
    if (crypto.keyParams.length !== 1 || crypto.keyParams[0].mki !== undefined || crypto.sessionParams.length > 0) continue;
    const remoteKey = decodeSrtpKey(crypto.keyParams[0].keySalt, suite);
    if (remoteKey !== undefined) return { crypto, suite, remoteKey };
  }
  return undefined;
}

/**
 * Packet times we send and take (ms). A far end asking for a=ptime:100000 would otherwise have
 * us send nothing at all; RFC 4566 §6 sets no bound, so this is ours (G.711 packs at most 120).
 */
export const PTIME_RANGE = { min: 10, max: 120 } as const;
/** m= lines in one description at most: a phone has use for a handful. */
export const MAX_MEDIA_LINES = 16;

/** Why the far end's a=ptime / a=maxptime cannot be honoured; undefined when they can. */
function ptimeProblem(m: MediaDescription): string | undefined {
  if (m.ptime !== undefined && (m.ptime < PTIME_RANGE.min || m.ptime > PTIME_RANGE.max)) {
    return `a=ptime:${m.ptime} is out of range (${PTIME_RANGE.min} to ${PTIME_RANGE.max} ms)`;
  }
  // A large maxptime is only a ceiling (Asterisk says 150); one below our shortest packet is not.
  if (m.maxptime !== undefined && m.maxptime < PTIME_RANGE.min) return `a=maxptime:${m.maxptime} is below ${PTIME_RANGE.min} ms`;
  return undefined;
}

function answerAudio(options: AnswerOptions, offered: MediaDescription): Outcome {
  const { offer } = options;
  const kind = protoKind(offered.proto);
  if (typeof kind === 'object') return kind;
  const badPtime = ptimeProblem(offered);
  if (badPtime) return { reason: badPtime };
  const connection = mediaConnection(offer, offered);
  if (connection === undefined) return { reason: 'the offer has no connection address' };

  // SRTP (RFC 4568).
  const policy = options.srtp ?? 'off';
  const suites = options.cryptoSuites ?? DEFAULT_SUITES;
  let srtp: { crypto: CryptoAttribute; suite: SrtpSuite; remoteKey: Uint8Array } | undefined;
  if (policy === 'off') {
    if (kind === 'secure') return { reason: `the caller requires SRTP (${offered.proto}) and SRTP is off` };
  } else {
    srtp = chooseCrypto(offered.crypto, suites);
    if (srtp === undefined && (policy === 'mandatory' || kind === 'secure')) {
      if (offered.crypto.length === 0) {
        return { reason: kind === 'secure' ? `the caller offers ${offered.proto} without a=crypto keys (only SDES-SRTP is supported)` : 'the caller does not offer SRTP' };
      }
      const names = [...new Set(offered.crypto.map((c) => c.suite))].join(', ');
      return { reason: `the caller offers no SRTP crypto suite we support (offered: ${names}; we support: ${suites.join(', ')})` };
    }
  }

  // Codec (§6.1): one the offer lists and we have, by our preference or the offerer's.
  const formats = meaningsOf(offered);
  const codecs = formats.filter((f): f is typeof f & { meaning: { kind: 'codec'; codec: CodecName } } => f.meaning.kind === 'codec' && options.codecs.includes(f.meaning.codec));
  if (!options.preferOffererOrder) codecs.sort((a, b) => options.codecs.indexOf(a.meaning.codec) - options.codecs.indexOf(b.meaning.codec));
  const chosen = codecs[0];
  if (chosen === undefined) {
    const audio = formats.filter((f) => f.meaning.kind !== 'telephone-event' && f.meaning.kind !== 'comfort-noise');
    const listed = (audio.length > 0 ? audio : formats).map((f) => describeMeaning(f.meaning));
    return { reason: `no common codec (offered: ${listed.length > 0 ? listed.join(', ') : 'none'})` };
  }
  const codec = chosen.meaning.codec;
  const def = CODECS[codec];

  const answer = emptyMedia({ type: 'audio', port: options.port, proto: offered.proto, formats: [String(chosen.pt)] });
  answer.rtpmaps.push(rtpmapFor(chosen.pt, chosen.meaning));
  const ourFmtp = options.fmtp?.[codec] ?? def.fmtp;
  if (ourFmtp !== undefined && ourFmtp !== '') answer.fmtps.push({ payloadType: chosen.pt, parameters: ourFmtp });

  // telephone-event (RFC 4733 §7.1.1): the offered events we handle too.
  let telephoneEvent: NegotiatedMedia['telephoneEvent'];
  if (options.telephoneEvent ?? true) {
    const events = formats.flatMap((f) => (f.meaning.kind === 'telephone-event' ? [{ pt: f.pt, clockRate: f.meaning.clockRate }] : []));
    const te = pickTelephoneEvent(events, codec);
    if (te !== undefined) {
      const common = parseEventList(fmtpOf(offered, te.pt)).filter((e) => e <= 16);
      if (common.length > 0) {
        answer.formats.push(String(te.pt));
        answer.rtpmaps.push(rtpmapFor(te.pt, { kind: 'telephone-event', clockRate: te.clockRate }));
        answer.fmtps.push({ payloadType: te.pt, parameters: formatEventList(common) });
        telephoneEvent = { payloadType: te.pt, clockRate: te.clockRate };
      }
    }
  }

  // Comfort noise (RFC 3389 §5) at the codec's clock rate.
  let comfortNoise: NegotiatedMedia['comfortNoise'];
  if (options.comfortNoise ?? true) {
    const cn = formats.find((f) => f.meaning.kind === 'comfort-noise' && f.meaning.clockRate === def.clockRate);
    if (cn !== undefined) {
      answer.formats.push(String(cn.pt));
      answer.rtpmaps.push(rtpmapFor(cn.pt, cn.meaning));
      comfortNoise = { payloadType: cn.pt };
    }
  }

  // Direction (§6.1): the mirror of the offer's, narrowed by what we want; c=0.0.0.0 is a hold (§8.4).
  const stated = mediaDirection(offer, offered);
  const remoteDirection = isHoldAddress(connection.address) ? withoutReceive(stated) : stated;
  const direction = localDirection(options.direction ?? 'sendrecv', remoteDirection);
  // RFC 5761 §5.1.1: rtcp-mux in the answer only when offered.
  const rtcpMux = offered.rtcpMux && (options.rtcpMux ?? false);
  addCommonAttributes(answer, options, { rtcpMux, direction });

  let negotiatedSrtp: NegotiatedMedia['srtp'];
  if (srtp !== undefined) {
    // RFC 4568 §7.1.3: the same tag and suite as the accepted offer line, with our own key.
    const key = localKey(options, srtp.suite);
    answer.crypto.push(cryptoLine(srtp.crypto.tag, srtp.suite, key));
    negotiatedSrtp = { suite: srtp.suite, tag: srtp.crypto.tag, localKey: key, remoteKey: srtp.remoteKey };
  }

  const negotiatedCodec: NegotiatedCodec = {
    name: codec,
    payloadType: chosen.pt,
    clockRate: def.clockRate,
    channels: def.channels,
    fmtp: parseFmtpParameters(fmtpOf(offered, chosen.pt) ?? ''),
    ptime: offered.ptime ?? options.ptime ?? 20,
  };
  if (offered.maxptime !== undefined) negotiatedCodec.maxptime = offered.maxptime;
  const negotiated = negotiatedMedia({
    connectionAddress: connection.address,
    remote: offered,
    rtcpMux,
    codec: negotiatedCodec,
    telephoneEvent,
    comfortNoise,
    srtp: negotiatedSrtp,
    direction,
    remoteDirection,
  });
  return { media: answer, negotiated };
}

function negotiatedMedia(init: {
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

/**
 * Answers an offer (RFC 3264 §6): accepts the first audio stream we can, rejects every other
 * m-line in place with port 0, and says why when no audio stream was acceptable.
 */
export function createAnswer(options: AnswerOptions): AnswerResult {
  checkLocal(options);
  if (options.offer.media.length > MAX_MEDIA_LINES) {
    const answer = withNextVersion(session(options, options.offer.media.map(rejectedCopy)), options.previous);
    return { answer, rejected: `the offer has ${options.offer.media.length} m= lines (at most ${MAX_MEDIA_LINES})` };
  }
  const media: MediaDescription[] = [];
  let negotiated: NegotiatedMedia | undefined;
  let reason: string | undefined;
  for (const offered of options.offer.media) {
    if (negotiated !== undefined || offered.type !== 'audio' || offered.port === 0) {
      media.push(rejectedCopy(offered));
      continue;
    }
    const outcome = answerAudio(options, offered);
    if ('reason' in outcome) {
      reason ??= outcome.reason;
      media.push(rejectedCopy(offered));
    } else {
      negotiated = outcome.negotiated;
      media.push(outcome.media);
    }
  }
  const answer = withNextVersion(session(options, media), options.previous);
  if (negotiated !== undefined) return { answer, negotiated };
  if (reason === undefined) {
    const audio = options.offer.media.some((m) => m.type === 'audio');
    reason = audio ? 'the offer has no active audio stream (port 0)' : 'the offer has no audio stream';
  }
  return { answer, rejected: reason };
}

// ---- processing the answer -----------------------------------------------------------------------

function notAcceptable(reason: string): SdpError {
  return new SdpError('not-acceptable', reason);
}

/**
 * Checks an answer against the offer we sent (RFC 3264 §6, RFC 4568 §7.1.3) and says what was
 * agreed. Throws SdpError: 'rejected' when the answer declines our audio stream (port 0),
 * 'not-acceptable' when the answer breaks the rules.
 */
export function processAnswer(options: { offer: SessionDescription; answer: SessionDescription }): NegotiatedMedia {
  const { offer, answer } = options;
  const index = offer.media.findIndex((m) => m.type === 'audio' && m.port !== 0);
  if (index < 0) throw notAcceptable('our offer has no active audio stream');
  if (answer.media.length !== offer.media.length) {
    throw notAcceptable(`the answer has ${answer.media.length} media descriptions for the ${offer.media.length} of our offer (RFC 3264 §6)`);
  }
  const ours = offer.media[index];
  const theirs = answer.media[index];
  if (theirs.type !== ours.type) throw notAcceptable(`the answer has ${theirs.type} where our offer has ${ours.type} (RFC 3264 §6)`);
  if (theirs.port === 0) throw new SdpError('rejected', 'the other side declined the audio stream (port 0)');
  const badPtime = ptimeProblem(theirs);
  if (badPtime) throw notAcceptable(badPtime);
  const connection = mediaConnection(answer, theirs);
  if (connection === undefined) throw notAcceptable('the answer has no connection address');

  // Formats: a number we offered must keep its meaning; at least one codec must be one we offered (§6.1).
  const offered = meaningsOf(ours);
  const answered = meaningsOf(theirs);
  for (const a of answered) {
    const o = offered.find((f) => f.pt === a.pt);
    if (o !== undefined && !sameMeaning(o.meaning, a.meaning)) {
      throw notAcceptable(`the answer maps payload type ${a.pt} to ${describeMeaning(a.meaning)}, which our offer uses for ${describeMeaning(o.meaning)}`);
    }
  }
  const isOffered = (meaning: FormatMeaning): boolean => offered.some((o) => sameMeaning(o.meaning, meaning));
  const chosen = answered.find((a) => a.meaning.kind === 'codec' && isOffered(a.meaning));
  if (chosen === undefined || chosen.meaning.kind !== 'codec') {
    const listed = answered.map((a) => describeMeaning(a.meaning)).join(', ');
    throw notAcceptable(`the answer has no codec from our offer (answered: ${listed || 'none'})`);
  }
  const codec = chosen.meaning.codec;
  const def = CODECS[codec];
  const receivePt = offered.find((o) => sameMeaning(o.meaning, chosen.meaning))?.pt;

  const events = answered.flatMap((a) => (a.meaning.kind === 'telephone-event' && isOffered(a.meaning) ? [{ pt: a.pt, clockRate: a.meaning.clockRate }] : []));
  const te = pickTelephoneEvent(events, codec);
  const cn = answered.find((a) => a.meaning.kind === 'comfort-noise' && a.meaning.clockRate === def.clockRate && isOffered(a.meaning));

  // SRTP (RFC 4568 §7.1.3 / §7.1.4).
  let srtp: NegotiatedMedia['srtp'];
  const secure = protoKind(ours.proto) === 'secure';
  if (theirs.crypto.length === 0) {
    if (secure) throw notAcceptable(`the answer has no a=crypto for our ${ours.proto} offer`);
  } else {
    if (ours.crypto.length === 0) throw notAcceptable('the answer has a=crypto but our offer has none');
    const accepted = theirs.crypto[0];
    const mine = ours.crypto.find((c) => c.tag === accepted.tag);
    if (mine === undefined) throw notAcceptable(`the answer's a=crypto tag ${accepted.tag} is not one we offered`);
    if (mine.suite !== accepted.suite || !isSrtpSuite(accepted.suite)) {
      throw notAcceptable(`the answer's a=crypto tag ${accepted.tag} names ${accepted.suite}, but we offered ${mine.suite} under that tag`);
    }
    const suite = accepted.suite;
    if (accepted.keyParams.length !== 1 || accepted.keyParams[0].mki !== undefined) throw notAcceptable('the answer\'s a=crypto has several keys or an MKI, which we do not support');
    const remoteKey = decodeSrtpKey(accepted.keyParams[0].keySalt, suite);
    if (remoteKey === undefined) throw notAcceptable(`the answer's SRTP key is not a valid ${suite} key (${SRTP_KEY_LENGTH[suite]} bytes, base64)`);
    const localKeyBytes = mine.keyParams.length === 1 ? decodeSrtpKey(mine.keyParams[0].keySalt, suite) : undefined;
    if (localKeyBytes === undefined) throw notAcceptable(`our offer's SRTP key for tag ${mine.tag} cannot be read`);
    srtp = { suite, tag: accepted.tag, localKey: localKeyBytes, remoteKey };
  }

  const stated = mediaDirection(answer, theirs);
  const remoteDirection = isHoldAddress(connection.address) ? withoutReceive(stated) : stated;
  const direction = localDirection(mediaDirection(offer, ours), remoteDirection);

  const negotiatedCodec: NegotiatedCodec = {
    name: codec,
    payloadType: chosen.pt,
    clockRate: def.clockRate,
    channels: def.channels,
    fmtp: parseFmtpParameters(fmtpOf(theirs, chosen.pt) ?? ''),
    ptime: theirs.ptime ?? ours.ptime ?? 20,
  };
  if (receivePt !== undefined && receivePt !== chosen.pt) negotiatedCodec.receivePayloadType = receivePt;
  if (theirs.maxptime !== undefined) negotiatedCodec.maxptime = theirs.maxptime;
  return negotiatedMedia({
    connectionAddress: connection.address,
    remote: theirs,
    rtcpMux: ours.rtcpMux && theirs.rtcpMux,
    codec: negotiatedCodec,
    telephoneEvent: te === undefined ? undefined : { payloadType: te.pt, clockRate: te.clockRate },
    comfortNoise: cn === undefined ? undefined : { payloadType: cn.pt },
    srtp,
    direction,
    remoteDirection,
  });
}
