import { describe, expect, it } from 'vitest';
import { SdpError, createAnswer, createOffer, formatSdp, opusParameters, parseSdp, processAnswer } from '../../../main/sdp/index.ts';
import type { AnswerOptions, Direction, LocalMedia, SessionDescription } from '../../../main/sdp/index.ts';
import { audioSdp, parsedFixture } from './helpers.ts';

const ALICE: LocalMedia = { address: '127.0.0.1', port: 40000, codecs: ['opus', 'g722', 'pcmu', 'pcma'], sessionId: '1000' };
const BOB: Omit<AnswerOptions, 'offer'> = { address: '127.0.0.1', port: 50000, codecs: ['opus', 'g722', 'pcmu', 'pcma', 'g729', 'gsm'], sessionId: '2000' };

/** Offer and answer go through text, as they do on the wire. */
function wire(sd: SessionDescription): SessionDescription {
  return parseSdp(formatSdp(sd));
}

function answer(offer: SessionDescription | string, local: Partial<AnswerOptions> = {}) {
  const parsed = typeof offer === 'string' ? parseSdp(offer) : offer;
  return createAnswer({ ...BOB, ...local, offer: parsed });
}

function rejectedWith(fn: () => unknown): SdpError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SdpError);
    return error as SdpError;
  }
  throw new Error('expected an SdpError');
}

describe('createOffer (RFC 3264 §5)', () => {
  it('lists our codecs in our order of preference, static payload types for static codecs, dynamic ones from 96', () => {
    const offer = createOffer({ ...ALICE, codecs: ['opus', 'g722', 'pcmu', 'pcma', 'g729', 'gsm'] });
    const [m] = offer.media;
    expect(m.formats).toEqual(['96', '9', '0', '8', '18', '3', '97', '98', '13']);
    expect(m.rtpmaps.map((r) => `${r.payloadType} ${r.encodingName}/${r.clockRate}${r.channels ? `/${r.channels}` : ''}`)).toEqual([
      '96 opus/48000/2',
      '9 G722/8000',
      '0 PCMU/8000',
      '8 PCMA/8000',
      '18 G729/8000',
      '3 GSM/8000',
      '97 telephone-event/48000',
      '98 telephone-event/8000',
      '13 CN/8000',
    ]);
  });

  it('writes our fmtp: opus useinbandfec=1 (RFC 7587), G.729 annexb=no (RFC 4856), telephone-event 0-16 (RFC 4733)', () => {
    const offer = createOffer({ ...ALICE, codecs: ['opus', 'g729'] });
    expect(offer.media[0].fmtps).toEqual([
      { payloadType: 96, parameters: 'useinbandfec=1' },
      { payloadType: 18, parameters: 'annexb=no' },
      { payloadType: 97, parameters: '0-16' },
      { payloadType: 98, parameters: '0-16' },
    ]);
  });

  it('takes an fmtp override per codec', () => {
    const offer = createOffer({ ...ALICE, codecs: ['opus'], fmtp: { opus: 'maxplaybackrate=16000;useinbandfec=1;usedtx=1' } });
    expect(offer.media[0].fmtps[0]).toEqual({ payloadType: 96, parameters: 'maxplaybackrate=16000;useinbandfec=1;usedtx=1' });
  });

  it('offers telephone-event only at the clock rates of the codecs offered, CN only beside 8000 Hz codecs', () => {
    const opusOnly = createOffer({ ...ALICE, codecs: ['opus'] }).media[0];
    expect(opusOnly.rtpmaps.map((r) => `${r.encodingName}/${r.clockRate}`)).toEqual(['opus/48000', 'telephone-event/48000']);
    const plain = createOffer({ ...ALICE, codecs: ['pcma'], telephoneEvent: false, comfortNoise: false }).media[0];
    expect(plain.formats).toEqual(['8']);
  });

  it('writes a=ptime, a=maxptime, a=rtcp-mux (RFC 5761), a=rtcp when RTCP is not on port + 1 (RFC 3605), a=ssrc cname (RFC 5576)', () => {
    const offer = createOffer({ ...ALICE, ptime: 40, maxptime: 60, rtcpMux: true, rtcpPort: 40011, ssrc: 0x1234, cname: 'alice@appel' });
    const [m] = offer.media;
    expect(m).toMatchObject({ ptime: 40, maxptime: 60, rtcpMux: true, rtcp: { port: 40011 }, direction: 'sendrecv' });
    expect(m.ssrcs).toEqual([{ id: 0x1234, attribute: 'cname', value: 'alice@appel' }]);
    expect(createOffer({ ...ALICE, rtcpPort: 40001 }).media[0].rtcp).toBeUndefined();
  });

  it('puts the address in c= and o= as IN IP4 or IN IP6', () => {
    const v6 = createOffer({ ...ALICE, address: '::1' });
    expect(v6.connection).toEqual({ addressType: 'IP6', address: '::1' });
    expect(v6.origin).toMatchObject({ addressType: 'IP6', address: '::1', sessionId: '1000', sessionVersion: '1000', username: '-' });
    expect(formatSdp(v6)).toContain('c=IN IP6 ::1\r\n');
  });

  it('gives a fresh session a numeric sess-id of its own', () => {
    const a = createOffer({ ...ALICE, sessionId: undefined });
    const b = createOffer({ ...ALICE, sessionId: undefined });
    expect(a.origin.sessionId).toMatch(/^\d+$/);
    expect(a.origin.sessionId).not.toBe(b.origin.sessionId);
  });

  it('rejects bad arguments with a message naming them', () => {
    expect(() => createOffer({ ...ALICE, codecs: [] })).toThrow(/codecs/);
    expect(() => createOffer({ ...ALICE, codecs: ['speex' as 'opus'] })).toThrow(/unknown codec "speex"/);
    expect(() => createOffer({ ...ALICE, port: 70000 })).toThrow(/port/);
  });
});

describe('createAnswer: codecs (RFC 3264 §6.1)', () => {
  it('"the same payload type number SHOULD be used for that codec in the answer": opus stays 96 (linphone), 111 (WebRTC-style)', () => {
    const linphone = answer(parsedFixture('linphone-offer'));
    expect(linphone.answer.media[0].formats[0]).toBe('96');
    expect(linphone.negotiated?.codec).toMatchObject({ name: 'opus', payloadType: 96, clockRate: 48000, channels: 2 });
    const other = answer(audioSdp({ formats: '111 0', media: ['a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000'] }));
    expect(other.negotiated?.codec.payloadType).toBe(111);
    expect(other.answer.media[0].rtpmaps[0]).toEqual({ payloadType: 111, encodingName: 'opus', clockRate: 48000, channels: 2 });
  });

  it('"the answer MUST contain rtpmap attributes ... and SHOULD contain mappings for static payload types"', () => {
    const result = answer(parsedFixture('asterisk-srtp-offer'), { srtp: 'mandatory', codecs: ['pcma'] });
    expect(result.answer.media[0].rtpmaps[0]).toEqual({ payloadType: 8, encodingName: 'PCMA', clockRate: 8000 });
  });

  it('answers with formats taken from the offer only, and one codec', () => {
    const offer = parsedFixture('linphone-offer');
    const result = answer(offer);
    const offered = new Set(offer.media[0].formats);
    expect(result.answer.media[0].formats.every((f) => offered.has(f))).toBe(true);
    expect(result.answer.media[0].rtpmaps.filter((r) => !['telephone-event', 'CN'].includes(r.encodingName))).toHaveLength(1);
  });

  it('picks by our order of preference by default, by the offerer\'s with preferOffererOrder', () => {
    const offer = parsedFixture('kamailio-relayed-offer'); // G722 then PCMA
    expect(answer(offer, { codecs: ['pcma', 'g722'] }).negotiated?.codec.name).toBe('pcma');
    expect(answer(offer, { codecs: ['pcma', 'g722'], preferOffererOrder: true }).negotiated?.codec.name).toBe('g722');
  });

  it('reads G.729 from a bare static payload type 18 and answers annexb=no; the peer\'s fmtp is reported as is', () => {
    const result = answer(parsedFixture('linphone-offer'), { codecs: ['g729'] });
    expect(result.negotiated?.codec).toMatchObject({ name: 'g729', payloadType: 18, fmtp: { annexb: 'yes' } });
    expect(result.answer.media[0].fmtps.find((f) => f.payloadType === 18)?.parameters).toBe('annexb=no');
  });

  it('GSM from linphone\'s static payload type 3', () => {
    expect(answer(parsedFixture('linphone-offer'), { codecs: ['gsm'] }).negotiated?.codec).toMatchObject({ name: 'gsm', payloadType: 3 });
  });

  it('reports baresip\'s opus stereo wishes (RFC 7587 §6.1) for our encoder', () => {
    const result = answer(parsedFixture('baresip-offer'));
    expect(result.negotiated?.codec.fmtp).toEqual({ stereo: '1', 'sprop-stereo': '1' });
    expect(opusParameters(result.negotiated!.codec.fmtp)).toMatchObject({ stereo: true, useInbandFec: false, maxPlaybackRate: 48000 });
  });

  it('no common codec: port 0 and the reason "no common codec (offered: …)"', () => {
    const offer = audioSdp({ formats: '97 98 101', media: ['a=rtpmap:97 speex/16000', 'a=rtpmap:98 iLBC/8000', 'a=rtpmap:101 telephone-event/8000'] });
    const result = answer(offer);
    expect(result.negotiated).toBeUndefined();
    expect(result.rejected).toBe('no common codec (offered: speex/16000, iLBC/8000)');
    expect(result.answer.media[0].port).toBe(0);
    expect(answer(parsedFixture('asterisk-answer'), { codecs: ['opus'] }).rejected).toBe('no common codec (offered: PCMU/8000)');
  });

  it('G722/16000 is not G.722 (RFC 3551 §4.5.2 says 8000)', () => {
    const result = answer(audioSdp({ formats: '9', media: ['a=rtpmap:9 G722/16000'] }), { codecs: ['g722'] });
    expect(result.rejected).toBe('no common codec (offered: G722/16000)');
  });
});

describe('createAnswer: telephone-event (RFC 4733) and CN (RFC 3389)', () => {
  it('matches telephone-event to the chosen codec\'s clock rate: 48000 with opus, 8000 with PCMU and G.722', () => {
    const offer = parsedFixture('linphone-offer'); // 101 te/48000, 99 te/16000, 100 te/8000
    expect(answer(offer, { codecs: ['opus'] }).negotiated?.telephoneEvent).toEqual({ payloadType: 101, clockRate: 48000 });
    expect(answer(offer, { codecs: ['pcmu'] }).negotiated?.telephoneEvent).toEqual({ payloadType: 100, clockRate: 8000 });
    expect(answer(offer, { codecs: ['g722'] }).negotiated?.telephoneEvent).toEqual({ payloadType: 100, clockRate: 8000 });
    const formats = answer(offer, { codecs: ['opus'] }).answer.media[0].formats;
    expect(formats).toEqual(['96', '101']);
  });

  it('falls back to telephone-event/16000 beside G.722, then to /8000 beside opus, when nothing better is offered', () => {
    const g722 = audioSdp({ formats: '9 99', media: ['a=rtpmap:9 G722/8000', 'a=rtpmap:99 telephone-event/16000'] });
    expect(answer(g722, { codecs: ['g722'] }).negotiated?.telephoneEvent).toEqual({ payloadType: 99, clockRate: 16000 });
    const opus = audioSdp({ formats: '96 101', media: ['a=rtpmap:96 opus/48000/2', 'a=rtpmap:101 telephone-event/8000'] });
    expect(answer(opus, { codecs: ['opus'] }).negotiated?.telephoneEvent).toEqual({ payloadType: 101, clockRate: 8000 });
  });

  it('answers only the events both sides have (RFC 4733 §7.1.1; no fmtp means 0-15)', () => {
    expect(answer(parsedFixture('baresip-offer'), { codecs: ['pcmu'] }).answer.media[0].fmtps).toContainEqual({ payloadType: 101, parameters: '0-15' });
    expect(answer(parsedFixture('linphone-offer'), { codecs: ['pcmu'] }).answer.media[0].fmtps).toContainEqual({ payloadType: 100, parameters: '0-15' });
    expect(answer(parsedFixture('asterisk-srtp-offer'), { srtp: 'mandatory' }).answer.media[0].fmtps).toContainEqual({ payloadType: 101, parameters: '0-16' });
  });

  it('leaves telephone-event out when we do not want it', () => {
    const result = answer(parsedFixture('baresip-offer'), { telephoneEvent: false });
    expect(result.negotiated?.telephoneEvent).toBeUndefined();
    expect(result.answer.media[0].formats).toEqual(['96']);
  });

  it('accepts CN/8000 beside an 8000 Hz codec, not beside opus', () => {
    const offer = audioSdp({ formats: '96 0 13', media: ['a=rtpmap:96 opus/48000/2', 'a=rtpmap:0 PCMU/8000'] });
    const pcmu = answer(offer, { codecs: ['pcmu'] });
    expect(pcmu.negotiated?.comfortNoise).toEqual({ payloadType: 13 });
    expect(pcmu.answer.media[0].formats).toEqual(['0', '13']);
    expect(answer(offer, { codecs: ['opus'] }).negotiated?.comfortNoise).toBeUndefined();
    expect(answer(offer, { codecs: ['pcmu'], comfortNoise: false }).negotiated?.comfortNoise).toBeUndefined();
  });
});

describe('createAnswer: direction (RFC 3264 §6.1)', () => {
  const table: [Direction, Direction | undefined, Direction][] = [
    ['sendrecv', undefined, 'sendrecv'],
    ['sendonly', undefined, 'recvonly'],
    ['recvonly', undefined, 'sendonly'],
    ['inactive', undefined, 'inactive'],
    ['sendrecv', 'sendonly', 'sendonly'],
    ['sendrecv', 'inactive', 'inactive'],
    ['sendonly', 'sendonly', 'inactive'],
    ['recvonly', 'recvonly', 'inactive'],
  ];
  it.each(table)('an offer %s answered by a side that wants %s is answered %s', (offered, wanted, expected) => {
    const result = answer(audioSdp({ media: ['a=rtpmap:0 PCMU/8000', `a=${offered}`] }), wanted === undefined ? {} : { direction: wanted });
    expect(result.answer.media[0].direction).toBe(expected);
    expect(result.negotiated?.direction).toBe(expected);
    expect(result.negotiated?.remoteDirection).toBe(offered);
  });

  it('"If a stream is offered as sendonly, the corresponding stream MUST be marked as recvonly or inactive in the answer"', () => {
    for (const wanted of ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const) {
      const result = answer(audioSdp({ media: ['a=rtpmap:0 PCMU/8000', 'a=sendonly'] }), { direction: wanted });
      expect(['recvonly', 'inactive']).toContain(result.answer.media[0].direction);
    }
  });

  it('a session-level direction counts when the m-line has none', () => {
    expect(answer(audioSdp({ session: ['a=sendonly'] })).answer.media[0].direction).toBe('recvonly');
  });

  it('§8.4: c=0.0.0.0 (RFC 2543 hold) is read as "do not send to me": we answer recvonly and do not send', () => {
    const result = answer(parsedFixture('rfc2543-hold-offer'));
    expect(result.answer.media[0].direction).toBe('recvonly');
    expect(result.negotiated).toMatchObject({ direction: 'recvonly', remoteDirection: 'sendonly', remoteAddress: '0.0.0.0' });
    const inactive = answer(audioSdp({ address: '0.0.0.0', media: ['a=rtpmap:0 PCMU/8000', 'a=recvonly'] }));
    expect(inactive.negotiated?.direction).toBe('inactive');
  });
});

describe('createAnswer: transport, addresses, RTCP', () => {
  it('rtcp-mux (RFC 5761 §5.1.1) is answered only when offered, and then RTCP goes to the RTP port', () => {
    expect(answer(parsedFixture('ipv6-offer'), { rtcpMux: true }).negotiated).toMatchObject({ rtcpMux: true, remoteRtcpPort: 49170 });
    expect(answer(parsedFixture('ipv6-offer'), { rtcpMux: false }).negotiated).toMatchObject({ rtcpMux: false, remoteRtcpPort: 49171 });
    const notOffered = answer(parsedFixture('asterisk-answer'), { rtcpMux: true });
    expect(notOffered.answer.media[0].rtcpMux).toBe(false);
    expect(notOffered.negotiated?.rtcpMux).toBe(false);
  });

  it('RTCP goes to a=rtcp (RFC 3605) with its own address, else to RTP port + 1 (RFC 3550 §11)', () => {
    expect(answer(parsedFixture('linphone-offer')).negotiated).toMatchObject({ remoteRtpPort: 7078, remoteRtcpPort: 7079 });
    const relayed = answer(parsedFixture('kamailio-relayed-offer')).negotiated;
    expect(relayed).toMatchObject({ remoteAddress: '127.0.0.2', remoteRtpPort: 30002, remoteRtcpPort: 30003 });
    expect(relayed?.remoteRtcpAddress).toBeUndefined(); // same as the RTP address
    const elsewhere = answer(audioSdp({ media: ['a=rtpmap:0 PCMU/8000', 'a=rtcp:6000 IN IP4 192.0.2.99'] })).negotiated;
    expect(elsewhere).toMatchObject({ remoteRtcpPort: 6000, remoteRtcpAddress: '192.0.2.99' });
  });

  it('answers IPv6 to IPv6 and IPv4 to IPv4 as given by our address', () => {
    const v6 = answer(parsedFixture('ipv6-offer'), { address: '::1' });
    expect(v6.answer.connection).toEqual({ addressType: 'IP6', address: '::1' });
    expect(v6.negotiated?.remoteAddress).toBe('::1');
    expect(formatSdp(v6.answer)).toContain('o=- 2000 2000 IN IP6 ::1\r\n');
  });

  it('reports the peer\'s SSRC (a=ssrc) so that only it may latch', () => {
    expect(answer(parsedFixture('baresip-offer')).negotiated?.remoteSsrc).toBe(2979473402);
  });

  it('ptime: we write ours; we send with the peer\'s a=ptime, within its a=maxptime', () => {
    const result = answer(parsedFixture('asterisk-srtp-offer'), { srtp: 'mandatory', ptime: 30 });
    expect(result.answer.media[0].ptime).toBe(30);
    expect(result.negotiated?.codec).toMatchObject({ ptime: 20, maxptime: 150 });
    expect(answer(parsedFixture('ipv6-offer'), { ptime: 40 }).negotiated?.codec.ptime).toBe(40);
  });

  it('a=ptime out of 10-120 ms (a=ptime:100000 would mean no packet at all) is refused in words, offer or answer', () => {
    expect(answer(audioSdp({ media: ['a=ptime:100000'] })).rejected).toBe('a=ptime:100000 is out of range (10 to 120 ms)');
    const offer = parseSdp(audioSdp());
    offer.media[0].ptime = 100000;
    expect(answer(offer).rejected).toBe('a=ptime:100000 is out of range (10 to 120 ms)');
    offer.media[0].ptime = 5;
    expect(answer(offer).rejected).toBe('a=ptime:5 is out of range (10 to 120 ms)');
    offer.media[0].ptime = 30;
    offer.media[0].maxptime = 150;
    expect(answer(offer).negotiated?.codec).toMatchObject({ ptime: 30, maxptime: 150 });
  });

  it('an offer with more than 16 m= lines is refused whole, every line answered with port 0', () => {
    const offer = parseSdp(audioSdp());
    offer.media = Array.from({ length: 17 }, () => ({ ...offer.media[0] }));
    const result = answer(offer);
    expect(result.rejected).toBe('the offer has 17 m= lines (at most 16)');
    expect(result.answer.media).toHaveLength(17);
    expect(result.answer.media.every((m) => m.port === 0)).toBe(true);
  });

  it('an unknown transport protocol gets port 0 and a reason; DTLS-SRTP (WebRTC) says so', () => {
    expect(answer(audioSdp({ proto: 'RTP/XYZ' })).rejected).toBe('unsupported transport protocol RTP/XYZ');
    expect(answer(parsedFixture('webrtc-offer')).rejected).toMatch(/DTLS-SRTP \(UDP\/TLS\/RTP\/SAVPF\) is not supported/);
  });

  it('accepts RTP/AVPF and answers with the same profile', () => {
    const result = answer(audioSdp({ proto: 'RTP/AVPF' }));
    expect(result.answer.media[0].proto).toBe('RTP/AVPF');
    expect(result.negotiated?.codec.name).toBe('pcmu');
  });
});

describe('createAnswer: several m-lines (RFC 3264 §6)', () => {
  it('"the answer MUST contain exactly the same number of m lines as the offer": video is rejected in place with port 0', () => {
    const result = answer(parsedFixture('audio-video-offer'));
    expect(result.answer.media.map((m) => [m.type, m.port, m.proto])).toEqual([
      ['audio', 50000, 'RTP/AVP'],
      ['video', 0, 'RTP/AVP'],
    ]);
    expect(result.answer.media[1].formats).toEqual(['97', '98']);
    expect(result.negotiated?.codec.name).toBe('pcmu');
  });

  it('uses the first audio stream it can accept and rejects the others', () => {
    const offer = parseSdp(
      audioSdp({ proto: 'RTP/SAVP' }) + 'm=audio 6000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\nm=audio 7000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
    );
    const result = answer(offer);
    expect(result.answer.media.map((m) => m.port)).toEqual([0, 50000, 0]);
    expect(result.negotiated).toMatchObject({ remoteRtpPort: 6000, codec: { name: 'pcma' } });
  });

  it('an offer without audio is answered with every stream rejected and says why', () => {
    const offer = parseSdp(audioSdp().replace('m=audio', 'm=video'));
    expect(answer(offer).rejected).toBe('the offer has no audio stream');
    const disabled = parseSdp(audioSdp({ port: 0 }));
    expect(answer(disabled).rejected).toBe('the offer has no active audio stream (port 0)');
  });
});

describe('processAnswer (RFC 3264 §6, §7)', () => {
  const offer = () => createOffer({ ...ALICE, codecs: ['pcmu', 'pcma'], ptime: 20 }); // 0, 8, te/8000 96, CN 13

  it('reads Asterisk\'s answer: PCMU, telephone-event renumbered to 101, ptime and maxptime', () => {
    const negotiated = processAnswer({ offer: offer(), answer: parsedFixture('asterisk-answer') });
    expect(negotiated).toEqual({
      remoteAddress: '192.0.2.10',
      remoteRtpPort: 14826,
      remoteRtcpPort: 14827,
      rtcpMux: false,
      codec: { name: 'pcmu', payloadType: 0, clockRate: 8000, channels: 1, fmtp: {}, ptime: 20, maxptime: 150 },
      telephoneEvent: { payloadType: 101, clockRate: 8000 },
      direction: 'sendrecv',
      remoteDirection: 'sendrecv',
    });
  });

  it('agrees with the answerer on everything, for every fixture offer we can answer', () => {
    for (const local of [ALICE, { ...ALICE, rtcpMux: true, srtp: 'optional' as const }, { ...ALICE, address: '::1', codecs: ['g722' as const] }]) {
      const ours = createOffer(local);
      const theirs = answer(wire(ours), { rtcpMux: true, srtp: 'optional' });
      const mine = processAnswer({ offer: ours, answer: wire(theirs.answer) });
      const other = theirs.negotiated!;
      expect(mine.codec.name).toBe(other.codec.name);
      expect(mine.codec.payloadType).toBe(other.codec.payloadType);
      expect(mine.telephoneEvent).toEqual(other.telephoneEvent);
      expect(mine.rtcpMux).toBe(other.rtcpMux);
      expect(mine.remoteRtpPort).toBe(50000);
      expect(other.remoteRtpPort).toBe(40000);
      expect(mine.srtp?.localKey).toEqual(other.srtp?.remoteKey);
      expect(mine.srtp?.remoteKey).toEqual(other.srtp?.localKey);
    }
  });

  it('sends with the answer\'s first codec that we offered (§6.1: the answerer\'s order)', () => {
    const ours = offer();
    const theirs = parseSdp(audioSdp({ formats: '8 0', media: ['a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000'] }));
    expect(processAnswer({ offer: ours, answer: theirs }).codec.name).toBe('pcma');
  });

  it('a codec answered under another payload type number is sent with the answer\'s number and received with ours', () => {
    const ours = createOffer({ ...ALICE, codecs: ['opus'] }); // opus 96
    const theirs = parseSdp(audioSdp({ formats: '111', media: ['a=rtpmap:111 opus/48000/2', 'a=fmtp:111 useinbandfec=1; maxplaybackrate=16000'] }));
    const codec = processAnswer({ offer: ours, answer: theirs }).codec;
    expect(codec).toMatchObject({ name: 'opus', payloadType: 111, receivePayloadType: 96, fmtp: { useinbandfec: '1', maxplaybackrate: '16000' } });
    expect(opusParameters(codec.fmtp)).toMatchObject({ useInbandFec: true, maxPlaybackRate: 16000 });
  });

  it('our direction: we send only where the answerer receives (sendonly offer + recvonly answer = sendonly; they hold us = recvonly)', () => {
    const held = createOffer({ ...ALICE, direction: 'sendonly' });
    const reply = (dir: string) => parseSdp(audioSdp({ media: ['a=rtpmap:0 PCMU/8000', `a=${dir}`] }));
    expect(processAnswer({ offer: held, answer: reply('recvonly') })).toMatchObject({ direction: 'sendonly', remoteDirection: 'recvonly' });
    expect(processAnswer({ offer: offer(), answer: reply('sendonly') })).toMatchObject({ direction: 'recvonly', remoteDirection: 'sendonly' });
    expect(processAnswer({ offer: offer(), answer: reply('inactive') }).direction).toBe('inactive');
    const zero = parseSdp(audioSdp({ address: '0.0.0.0' }));
    expect(processAnswer({ offer: offer(), answer: zero }).direction).toBe('recvonly');
  });

  it('rtcp-mux only when both have it', () => {
    const mux = createOffer({ ...ALICE, rtcpMux: true });
    expect(processAnswer({ offer: mux, answer: parseSdp(audioSdp({ media: ['a=rtpmap:0 PCMU/8000', 'a=rtcp-mux'] })) })).toMatchObject({ rtcpMux: true, remoteRtcpPort: 5004 });
    expect(processAnswer({ offer: mux, answer: parseSdp(audioSdp()) })).toMatchObject({ rtcpMux: false, remoteRtcpPort: 5005 });
    expect(processAnswer({ offer: offer(), answer: parseSdp(audioSdp({ media: ['a=rtpmap:0 PCMU/8000', 'a=rtcp-mux'] })) }).rtcpMux).toBe(false);
  });

  it('a rejected stream (port 0) throws SdpError "rejected"', () => {
    const error = rejectedWith(() => processAnswer({ offer: offer(), answer: parseSdp(audioSdp({ port: 0 })) }));
    expect(error.code).toBe('rejected');
    expect(error.reason).toBe('the other side declined the audio stream (port 0)');
  });

  it('refuses answers that break the rules, in words', () => {
    const ours = offer();
    const cases: [string, RegExp][] = [
      [audioSdp() + 'm=video 0 RTP/AVP 31\r\n', /2 media descriptions for the 1 of our offer/],
      [audioSdp({ formats: '0', media: ['a=rtpmap:0 PCMA/8000'] }), /maps payload type 0 to PCMA\/8000, which our offer uses for PCMU\/8000/],
      [audioSdp({ formats: '9', media: ['a=rtpmap:9 G722/8000'] }), /no codec from our offer \(answered: G722\/8000\)/],
      [audioSdp({ formats: '101', media: ['a=rtpmap:101 telephone-event/8000'] }), /no codec from our offer/],
    ];
    for (const [text, reason] of cases) {
      const error = rejectedWith(() => processAnswer({ offer: ours, answer: parseSdp(text) }));
      expect(error.code).toBe('not-acceptable');
      expect(error.reason).toMatch(reason);
    }
    const video = parseSdp(audioSdp().replace('m=audio', 'm=video'));
    expect(rejectedWith(() => processAnswer({ offer: ours, answer: video })).reason).toMatch(/video where our offer has audio/);
  });
});
