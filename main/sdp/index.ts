// SDP (RFC 8866) and the offer/answer model (RFC 3264) for Appel's one audio stream. Pure: no
// sockets, no timers; imports nothing of ours outside main/sdp/.
export type {
  AddressType,
  Attribute,
  Bandwidth,
  Connection,
  CryptoAttribute,
  CryptoKeyParam,
  Direction,
  Fmtp,
  MediaDescription,
  Origin,
  RtcpAttribute,
  RtpMap,
  SessionDescription,
  SsrcAttribute,
  Timing,
} from './session-description.ts';
export { DIRECTIONS, addressTypeOf, emptyMedia, mediaConnection, mediaDirection } from './session-description.ts';
export { parseSdp } from './parse-sdp.ts';
export { formatSdp } from './format-sdp.ts';
export { SdpError } from './sdp-error.ts';
export type { SdpErrorCode } from './sdp-error.ts';
export type { CodecDefinition, CodecName, FormatMeaning, OpusParameters } from './codecs.ts';
export { CODECS, CODEC_NAMES, opusParameters, parseFmtpParameters, formatFmtpParameters } from './codecs.ts';
export type { SrtpSuite } from './srtp-key.ts';
export { SRTP_SUITES, SRTP_KEY_LENGTH, generateSrtpKey, encodeSrtpKey, decodeSrtpKey } from './srtp-key.ts';
export type { NegotiatedCodec, NegotiatedMedia } from './negotiated-media.ts';
export type { AnswerOptions, AnswerResult, LocalMedia, OfferOptions, SrtpPolicy } from './offer-answer.ts';
export { createOffer } from './create-offer.ts';
export { createAnswer } from './create-answer.ts';
export { processAnswer } from './process-answer.ts';
export { createHoldOffer, createResumeOffer, createCodecChangeOffer, isHeldBy } from './re-offer.ts';
export { canReceive, canSend, reverseDirection } from './direction.ts';
export type { LocalVideo, NegotiatedVideo, VideoCodec } from './video-media.ts';
export { processVideoAnswer } from './video-media.ts';
