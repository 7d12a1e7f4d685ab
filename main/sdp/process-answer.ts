/**
 * Reading the answer to our offer (RFC 3264 §7): checked against what we offered (§6, RFC 4568
 * §7.1.3) and turned into what was agreed, or refused with an SdpError that says why.
 */
import { CODECS, describeMeaning, parseFmtpParameters } from './codecs.ts';
import type { FormatMeaning } from './codecs.ts';
import { isHoldAddress, localDirection, withoutReceive } from './direction.ts';
import { negotiatedMedia } from './negotiated-media.ts';
import type { NegotiatedCodec, NegotiatedMedia } from './negotiated-media.ts';
import { fmtpOf, meaningsOf, pickTelephoneEvent, sameMeaning } from './payload-formats.ts';
import { protoKind, ptimeProblem } from './received-limits.ts';
import { SdpError } from './sdp-error.ts';
import { mediaConnection, mediaDirection } from './session-description.ts';
import type { SessionDescription } from './session-description.ts';
import { SRTP_KEY_LENGTH, decodeSrtpKey, isSrtpSuite } from './srtp-key.ts';

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
