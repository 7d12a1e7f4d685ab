/**
 * Building an offer (RFC 3264 §5) for our one audio stream, or a re-offer in the same session
 * (§8) when the last SDP we sent is given: the codecs in our order of preference, then
 * telephone-event (RFC 4733) and comfort noise (RFC 3389), our SRTP keys (RFC 4568) by policy.
 */
import { CODECS, COMFORT_NOISE_PAYLOAD_TYPE, DYNAMIC_PAYLOAD_TYPES, TELEPHONE_EVENT_FMTP } from './codecs.ts';
import type { CodecName, FormatMeaning } from './codecs.ts';
import { DEFAULT_SUITES, addCommonAttributes, audioMediaIndex, checkLocal, cryptoLine, localKey, rejectedCopy, session, withNextVersion } from './offer-answer.ts';
import type { OfferOptions } from './offer-answer.ts';
import { meaningsOf, rtpmapFor, sameMeaning } from './payload-formats.ts';
import { emptyMedia } from './session-description.ts';
import { offerVideoCrypto, videoMediaIndex, videoOffer } from './video-media.ts';
import type { MediaDescription, RtpMap, SessionDescription } from './session-description.ts';

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

/**
 * Puts `audio` (and `video`) where `previous` had them, every other previous m-line back disabled
 * (§8: m-lines keep their place; a stream removed stays as port 0), new ones at the end.
 */
function placeInPrevious(audio: MediaDescription, video: MediaDescription | undefined, previous: SessionDescription | undefined): MediaDescription[] {
  if (previous === undefined) return video ? [audio, video] : [audio];
  const media = previous.media.map(rejectedCopy);
  const place = (m: MediaDescription, index: number) => {
    if (index < 0) media.push(m);
    else media[index] = m;
  };
  place(audio, audioMediaIndex(previous));
  if (video) place(video, videoMediaIndex(previous));
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
  // Video (video-media.ts): dynamic payload types above the audio's, the same profile (RFC 3264 §5.1).
  const firstVideoPt = Math.max(95, ...audio.formats.map(Number).filter((n) => n >= 96)) + 1;
  const video = options.video ? videoOffer(options.video, audio.proto, firstVideoPt) : undefined;
  if (video && options.video && policy !== 'off') offerVideoCrypto(video, options.video, [...new Set(options.cryptoSuites ?? DEFAULT_SUITES)]);
  return withNextVersion(session(options, placeInPrevious(audio, video, options.previous)), options.previous);
}
