/**
 * Answering an offer (RFC 3264 §6): the first audio stream we can take is accepted with ONE
 * codec (plus telephone-event and CN), the offer's payload type numbers kept (§6.1), SRTP by our
 * policy and the offer's a=crypto (RFC 4568 §7.1); every other m-line is answered with port 0, in
 * place. When nothing is acceptable the answer says why, in words.
 */
import { CODECS, describeMeaning, formatEventList, parseEventList, parseFmtpParameters } from './codecs.ts';
import type { CodecName } from './codecs.ts';
import { isHoldAddress, localDirection, withoutReceive } from './direction.ts';
import { negotiatedMedia } from './negotiated-media.ts';
import type { NegotiatedCodec, NegotiatedMedia } from './negotiated-media.ts';
import { DEFAULT_SUITES, addCommonAttributes, checkLocal, chooseCrypto, cryptoLine, localKey, rejectedCopy, session, withNextVersion } from './offer-answer.ts';
import type { AnswerOptions, AnswerResult } from './offer-answer.ts';
import { fmtpOf, meaningsOf, pickTelephoneEvent, rtpmapFor } from './payload-formats.ts';
import { MAX_MEDIA_LINES, protoKind, ptimeProblem } from './received-limits.ts';
import { emptyMedia, mediaConnection, mediaDirection } from './session-description.ts';
import type { CryptoAttribute, MediaDescription } from './session-description.ts';
import type { SrtpSuite } from './srtp-key.ts';
import { answerVideo } from './video-media.ts';
import type { NegotiatedVideo } from './video-media.ts';

type Outcome = { media: MediaDescription; negotiated: NegotiatedMedia } | { reason: string };


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
  let video: NegotiatedVideo | undefined;
  let videoAnswered = false;
  let reason: string | undefined;
  for (const offered of options.offer.media) {
    // The first active video m-line is ours to take or decline (video-media.ts); others get port 0.
    if (offered.type === 'video' && offered.port !== 0 && !videoAnswered && options.video) {
      videoAnswered = true;
      const answered = answerVideo(options.offer, offered, options.video, offered.proto, { policy: options.srtp ?? 'off', suites: options.cryptoSuites ?? DEFAULT_SUITES });
      video = answered.negotiated;
      media.push(answered.media);
      continue;
    }
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
  if (negotiated === undefined) {
    // No audio, no call: the video answer goes too.
    for (let i = 0; i < media.length; i++) if (media[i].type === 'video') media[i] = rejectedCopy(options.offer.media[i]);
    video = undefined;
  }
  const answer = withNextVersion(session(options, media), options.previous);
  if (negotiated !== undefined) return video ? { answer, negotiated, video } : { answer, negotiated };
  if (reason === undefined) {
    const audio = options.offer.media.some((m) => m.type === 'audio');
    reason = audio ? 'the offer has no active audio stream (port 0)' : 'the offer has no audio stream';
  }
  return { answer, rejected: reason };
}
