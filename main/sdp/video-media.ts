/**
 * The video stream of a session (RFC 3264 applied to an m=video line): what we offer, how we
 * answer a peer's offer, and what a peer's answer to ours gives. The audio stream's functions
 * (create-offer.ts, create-answer.ts, process-answer.ts) call these for the video m-line.
 *
 * What we offer, in our order of preference, each at 90 kHz (RFC 7741 §6.1, RFC 6184 §8.1):
 *   VP8
 *   H264 packetization-mode=1, constrained baseline (profile-level-id 42e01f: level 3.1)
 *   H264 packetization-mode=0, the same profile (for peers that only fragment by slices)
 * each with a=rtcp-fb nack, nack pli, ccm fir (RFC 4585 §4.2, RFC 5104 §7.1), and the bit rate we
 * can take as b=AS (kbit/s, RFC 8866 §5.8) and b=TIAS (bit/s, RFC 3890 §6.2).
 *
 * Answering, we keep the offer's payload type and parameters (§6.1) for one codec: the first of
 * ours the offer has. H.264 is taken in packetization-mode 0 or 1 with a profile we can decode
 * (baseline, or any profile whose constraint_set1 flag says constrained-baseline compatible).
 * No codec in common: the m-line is answered with port 0 and the call keeps its audio (§6).
 */
import { formatFmtpParameters, parseFmtpParameters } from './codecs.ts';
import { localDirection } from './direction.ts';
import { chooseCrypto, cryptoLine } from './offer-answer.ts';
import { emptyMedia, mediaConnection } from './session-description.ts';
import type { Direction, MediaDescription, SessionDescription } from './session-description.ts';
import { decodeSrtpKey, generateSrtpKey, isSrtpSuite, type SrtpSuite } from './srtp-key.ts';
import type { SrtpPolicy } from './offer-answer.ts';

export type VideoCodec = 'vp8' | 'h264';

/** Our H.264 level: 3.1 (level_idc 31 = 0x1f), 720p30 (RFC 6184 §8.1, H.264 table A-1). */
export const H264_PROFILE_LEVEL_ID = '42e01f';
/** The largest picture we take, in 16×16 macroblocks (1280×720), and frames per second. */
const MAX_FS = 3600;
const MAX_FR = 30;
/** The feedback we send and answer to. */
const FEEDBACK = ['nack', 'nack pli', 'ccm fir'] as const;
type FeedbackValue = (typeof FEEDBACK)[number];

export interface LocalVideo {
  /** Our video RTP port (0: we do not want video now). */
  port: number;
  /** Codecs in our order of preference. */
  codecs: readonly VideoCodec[];
  /** The bit rate we can receive (kbit/s): b=AS, and b=TIAS in bit/s. */
  maxBitrateKbps?: number;
  direction?: Direction;
  rtcpMux?: boolean;
  /** Our RTCP port when it is not port + 1 (a=rtcp, RFC 3605). */
  rtcpPort?: number;
  /** The video stream's own SDES keys by suite (RFC 4568 §6.1: keys are per m-line); missing ones are made. */
  srtpKeys?: Partial<Record<SrtpSuite, Uint8Array>>;
}

export interface NegotiatedVideo {
  /** Where the other side receives video (its c= and m=video port; a=rtcp or port + 1). */
  remoteAddress: string;
  remoteRtpPort: number;
  remoteRtcpPort: number;
  codec: VideoCodec;
  payloadType: number;
  /** H.264: packetization-mode (0 or 1) and profile-level-id both sides use. */
  packetizationMode?: 0 | 1;
  profileLevelId?: string;
  /** What the other side asked for with a=rtcp-fb for this payload type (or `*`). */
  feedback: { nack: boolean; pli: boolean; fir: boolean };
  /** The largest picture (macroblocks) and frame rate the other side takes (fmtp max-fs, max-fr); undefined: not said. */
  maxFs?: number;
  maxFr?: number;
  /** The most the other side takes (kbit/s), from its b=TIAS or b=AS; undefined: no limit given. */
  remoteMaxBitrateKbps?: number;
  /** What we may do: send, receive, both or neither. */
  direction: Direction;
  rtcpMux: boolean;
  /** SDES-SRTP for the video (RFC 4568), with keys of its own. */
  srtp?: { suite: SrtpSuite; localKey: Uint8Array; remoteKey: Uint8Array };
}

function videoKey(local: LocalVideo, suite: SrtpSuite): Uint8Array {
  return local.srtpKeys?.[suite] ?? generateSrtpKey(suite);
}

/** The a=crypto lines of our m=video offer: the audio's suites, the video's keys (tags 1, 2… by preference). */
export function offerVideoCrypto(m: MediaDescription, local: LocalVideo, suites: readonly SrtpSuite[]): void {
  if (m.port !== 0) m.crypto = suites.map((suite, i) => cryptoLine(i + 1, suite, videoKey(local, suite)));
}

function fbAttributes(pt: number): Array<{ name: string; value: string }> {
  return FEEDBACK.map((v) => ({ name: 'rtcp-fb', value: `${pt} ${v}` }));
}

function bandwidths(kbps: number | undefined): Array<{ type: string; value: number }> {
  return kbps === undefined ? [] : [{ type: 'AS', value: kbps }, { type: 'TIAS', value: kbps * 1000 }];
}

/** Our m=video line for an offer; payload types from `firstPt` up (clear of the audio ones). */
export function videoOffer(local: LocalVideo, proto: string, firstPt = 96): MediaDescription {
  const m = emptyMedia({ type: 'video', port: local.port, proto, formats: [] });
  let pt = firstPt;
  for (const codec of new Set(local.codecs)) {
    const modes: Array<0 | 1 | undefined> = codec === 'h264' ? [1, 0] : [undefined];
    for (const mode of modes) {
      m.formats.push(String(pt));
      m.rtpmaps.push({ payloadType: pt, encodingName: codec === 'vp8' ? 'VP8' : 'H264', clockRate: 90000 });
      // RFC 7741 §6.1 / RFC 6184 §8.1: what we decode, in macroblocks per frame and frames per second.
      if (mode !== undefined) m.fmtps.push({ payloadType: pt, parameters: `profile-level-id=${H264_PROFILE_LEVEL_ID};packetization-mode=${mode};max-fs=${MAX_FS}` });
      else m.fmtps.push({ payloadType: pt, parameters: `max-fs=${MAX_FS};max-fr=${MAX_FR}` });
      m.attributes.push(...fbAttributes(pt));
      pt++;
    }
  }
  m.bandwidths.push(...bandwidths(local.maxBitrateKbps));
  m.direction = local.direction ?? 'sendrecv';
  m.rtcpMux = local.rtcpMux ?? false;
  if (local.rtcpPort !== undefined) m.rtcp = { port: local.rtcpPort };
  return m;
}

interface Candidate {
  codec: VideoCodec;
  payloadType: number;
  parameters: Record<string, string>;
}

/** Whether we decode what an H.264 profile-level-id announces (RFC 6184 §8.1: profile_idc, profile-iop, level_idc). */
function decodableH264(profileLevelId: string | undefined): boolean {
  const hex = profileLevelId ?? '420010'; // §8.1: the default is baseline, level 1
  if (!/^[0-9a-f]{6}$/i.test(hex)) return false;
  const profile = parseInt(hex.slice(0, 2), 16);
  const iop = parseInt(hex.slice(2, 4), 16);
  return profile === 0x42 || (iop & 0x40) !== 0;
}

/** The formats of a peer's m=video we could use, in the peer's order. */
function candidates(m: MediaDescription): Candidate[] {
  const out: Candidate[] = [];
  for (const f of m.formats) {
    const pt = Number(f);
    const map = m.rtpmaps.find((r) => r.payloadType === pt);
    if (!map || map.clockRate !== 90000) continue;
    const parameters = parseFmtpParameters(m.fmtps.find((x) => x.payloadType === pt)?.parameters ?? '');
    const name = map.encodingName.toUpperCase();
    if (name === 'VP8') out.push({ codec: 'vp8', payloadType: pt, parameters });
    else if (name === 'H264') {
      const mode = parameters['packetization-mode'] ?? '0';
      if ((mode === '0' || mode === '1') && decodableH264(parameters['profile-level-id'])) out.push({ codec: 'h264', payloadType: pt, parameters });
    }
  }
  return out;
}

function feedbackFor(m: MediaDescription, pt: number): NegotiatedVideo['feedback'] {
  const values = new Set<string>();
  for (const a of m.attributes) {
    if (a.name !== 'rtcp-fb' || a.value === undefined) continue;
    const [which, ...rest] = a.value.trim().split(/\s+/);
    if (which === '*' || Number(which) === pt) values.add(rest.join(' ').toLowerCase());
  }
  return { nack: values.has('nack'), pli: values.has('nack pli'), fir: values.has('ccm fir') };
}

/** RFC 3890: b=TIAS (bit/s) is the more exact; else b=AS (kbit/s). */
function remoteLimit(m: MediaDescription): number | undefined {
  const tias = m.bandwidths.find((b) => b.type.toUpperCase() === 'TIAS');
  if (tias) return Math.floor(tias.value / 1000);
  return m.bandwidths.find((b) => b.type.toUpperCase() === 'AS')?.value;
}

function negotiated(chosen: Candidate, remote: MediaDescription, address: string, direction: Direction, rtcpMux: boolean): NegotiatedVideo {
  const rtcpPort = rtcpMux ? remote.port : (remote.rtcp?.port ?? remote.port + 1);
  const n: NegotiatedVideo = { remoteAddress: address, remoteRtpPort: remote.port, remoteRtcpPort: rtcpPort, codec: chosen.codec, payloadType: chosen.payloadType, feedback: feedbackFor(remote, chosen.payloadType), direction, rtcpMux };
  if (chosen.codec === 'h264') {
    n.packetizationMode = chosen.parameters['packetization-mode'] === '1' ? 1 : 0;
    n.profileLevelId = chosen.parameters['profile-level-id'] ?? '420010';
  }
  const limit = remoteLimit(remote);
  if (limit !== undefined) n.remoteMaxBitrateKbps = limit;
  const fs = Number(chosen.parameters['max-fs']);
  const fr = Number(chosen.parameters['max-fr']);
  if (Number.isInteger(fs) && fs > 0) n.maxFs = fs;
  if (Number.isFinite(fr) && fr > 0) n.maxFr = fr;
  return n;
}

/**
 * Our answer to a peer's m=video (§6): one codec, or port 0 when we want no video (port 0 in
 * `local`) or share no codec — `negotiated` is then undefined and the call goes on without it.
 */
export function answerVideo(
  sd: SessionDescription,
  offer: MediaDescription,
  local: LocalVideo,
  proto: string,
  security: { policy: SrtpPolicy; suites: readonly SrtpSuite[] } = { policy: 'off', suites: [] },
): { media: MediaDescription; negotiated?: NegotiatedVideo } {
  const declined = () => {
    const m = emptyMedia({ type: 'video', port: 0, proto: offer.proto, formats: offer.formats.slice(0, 1) });
    return { media: m };
  };
  const connection = mediaConnection(sd, offer);
  if (offer.port === 0 || local.port === 0 || connection === undefined) return declined();
  const offered = candidates(offer);
  const chosen = local.codecs.map((c) => offered.find((o) => o.codec === c)).find((c) => c !== undefined);
  if (!chosen) return declined();
  // RFC 4568 §7.1.2: the video's own a=crypto, as for audio; RTP/SAVP without a key we take is declined.
  const secure = /SAVP/i.test(offer.proto);
  const crypto = security.policy === 'off' ? undefined : chooseCrypto(offer.crypto, security.suites);
  if (secure && !crypto) return declined();
  const wanted = local.direction ?? 'sendrecv';
  const remoteDirection = offer.direction ?? 'sendrecv';
  const direction = localDirection(wanted, remoteDirection);
  const rtcpMux = offer.rtcpMux && (local.rtcpMux ?? false);
  const m = emptyMedia({ type: 'video', port: local.port, proto, formats: [String(chosen.payloadType)] });
  m.rtpmaps.push({ payloadType: chosen.payloadType, encodingName: chosen.codec === 'vp8' ? 'VP8' : 'H264', clockRate: 90000 });
  if (chosen.codec === 'h264') {
    // §8.2.2: the answer keeps the offer's profile and packetization-mode; level-asymmetry-allowed is echoed.
    m.fmtps.push({ payloadType: chosen.payloadType, parameters: formatFmtpParameters(chosen.parameters) });
  }
  const fb = feedbackFor(offer, chosen.payloadType);
  for (const [value, on] of [['nack', fb.nack], ['nack pli', fb.pli], ['ccm fir', fb.fir]] as Array<[FeedbackValue, boolean]>) {
    if (on) m.attributes.push({ name: 'rtcp-fb', value: `${chosen.payloadType} ${value}` });
  }
  m.bandwidths.push(...bandwidths(local.maxBitrateKbps));
  // We write what WE will do (§6.1): the mirror of the offer's, narrowed by what we want.
  m.direction = direction;
  m.rtcpMux = rtcpMux;
  if (local.rtcpPort !== undefined && !rtcpMux) m.rtcp = { port: local.rtcpPort };
  const n = negotiated(chosen, offer, connection.address, direction, rtcpMux);
  if (crypto) {
    const localKey = videoKey(local, crypto.suite);
    m.crypto = [cryptoLine(crypto.crypto.tag, crypto.suite, localKey)];
    n.srtp = { suite: crypto.suite, localKey, remoteKey: crypto.remoteKey };
  }
  return { media: m, negotiated: n };
}

/** What the peer's answer to our m=video gives (§7): undefined when it declined video (port 0). */
export function readVideoAnswer(ours: MediaDescription, sd: SessionDescription, answer: MediaDescription): NegotiatedVideo | undefined {
  const connection = mediaConnection(sd, answer);
  if (answer.port === 0 || connection === undefined) return undefined;
  const offered = new Set(ours.formats);
  const chosen = candidates(answer).find((c) => offered.has(String(c.payloadType)));
  if (!chosen) return undefined;
  const direction = localDirection(ours.direction ?? 'sendrecv', answer.direction ?? 'sendrecv');
  const n = negotiated(chosen, answer, connection.address, direction, ours.rtcpMux && answer.rtcpMux);
  // RFC 4568 §7.1.3: the answer's a=crypto names the tag of ours it took.
  const accepted = answer.crypto[0];
  const mine = accepted ? ours.crypto.find((c) => c.tag === accepted.tag && c.suite === accepted.suite) : undefined;
  if (accepted && mine && isSrtpSuite(mine.suite) && accepted.keyParams.length === 1) {
    const remoteKey = decodeSrtpKey(accepted.keyParams[0].keySalt, mine.suite);
    const localKey = decodeSrtpKey(mine.keyParams[0].keySalt, mine.suite);
    if (!remoteKey || !localKey) return undefined;
    n.srtp = { suite: mine.suite, localKey, remoteKey };
  } else if (/SAVP/i.test(ours.proto) || accepted) return undefined;
  return n;
}

/** The m-line of `sd` that carries video: the first active video one, else the first video one. */
export function videoMediaIndex(sd: SessionDescription): number {
  const active = sd.media.findIndex((m) => m.type === 'video' && m.port !== 0);
  return active >= 0 ? active : sd.media.findIndex((m) => m.type === 'video');
}

/**
 * The video a peer's answer to our offer gives (RFC 3264 §7), beside processAnswer's audio:
 * undefined when we offered none or it declined (port 0) or answered nothing we offered.
 */
export function processVideoAnswer(options: { offer: SessionDescription; answer: SessionDescription }): NegotiatedVideo | undefined {
  const index = options.offer.media.findIndex((m) => m.type === 'video' && m.port !== 0);
  const theirs = options.answer.media[index];
  if (index < 0 || theirs === undefined || theirs.type !== 'video') return undefined;
  return readVideoAnswer(options.offer.media[index], options.answer, theirs);
}
