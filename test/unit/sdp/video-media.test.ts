/**
 * The video m-line (RFC 3264 on m=video): our offer, answers to offers as baresip (VP8) and
 * linphone (H.264 and VP8) write them, a declined video, and reading the peer's answer.
 */
import { describe, expect, it } from 'vitest';
import { formatSdp, parseSdp } from '../../../main/sdp/index.ts';
import { createAnswer, createHoldOffer, createOffer, createResumeOffer, processAnswer, processVideoAnswer } from '../../../main/sdp/index.ts';
import { answerVideo, readVideoAnswer, videoOffer } from '../../../main/sdp/video-media.ts';

const session = (media: string) =>
  parseSdp(['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', media, ''].join('\r\n'));

const BARESIP_VP8 = ['m=video 4002 RTP/AVP 100', 'b=AS:1000', 'a=rtpmap:100 VP8/90000', 'a=fmtp:100 max-fs=3600', 'a=rtcp-fb:* ccm fir', 'a=rtcp-fb:* nack', 'a=rtcp-fb:* nack pli', 'a=sendrecv'].join('\r\n');
const LINPHONE = [
  'm=video 9078 RTP/AVP 96 97 98',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 H264/90000',
  'a=fmtp:97 profile-level-id=42801F;packetization-mode=1',
  'a=rtpmap:98 H264/90000',
  'a=fmtp:98 profile-level-id=64001f',
  'a=rtcp-fb:* trr-int 1000',
  'a=rtcp-fb:* ccm tmmbr',
  'a=rtcp-fb:96 nack pli',
  'a=rtcp-fb:96 ccm fir',
  'a=rtcp-fb:97 nack pli',
  'a=rtcp-fb:97 ccm fir',
].join('\r\n');

describe('video offer', () => {
  it('offers VP8, then H.264 in packetization-mode 1 and 0 (constrained baseline 3.1), with feedback and bit rate', () => {
    const m = videoOffer({ port: 5004, codecs: ['vp8', 'h264'], maxBitrateKbps: 1500 }, 'RTP/AVP');
    const text = formatSdp({ ...session('m=video 0 RTP/AVP 96'), media: [m] });
    expect(text).toContain('m=video 5004 RTP/AVP 96 97 98');
    expect(text).toContain('a=rtpmap:96 VP8/90000');
    expect(text).toContain('a=fmtp:96 max-fs=3600;max-fr=30');
    expect(text).toContain('a=fmtp:97 profile-level-id=42e01f;packetization-mode=1;max-fs=3600');
    expect(text).toContain('a=fmtp:98 profile-level-id=42e01f;packetization-mode=0;max-fs=3600');
    expect(text).toContain('a=rtcp-fb:96 nack pli');
    expect(text).toContain('a=rtcp-fb:98 ccm fir');
    expect(text).toMatch(/b=AS:1500\r\nb=TIAS:1500000/);
    // It reads back as it was written.
    expect(parseSdp(text).media[0].formats).toEqual(['96', '97', '98']);
  });
});

describe('answering a video offer', () => {
  it("baresip's VP8: kept payload type, the feedback it asked for ('*'), its b=AS as our send limit", () => {
    const sd = session(BARESIP_VP8);
    const offer = sd.media[1];
    const { media, negotiated } = answerVideo(sd, offer, { port: 6000, codecs: ['vp8', 'h264'], maxBitrateKbps: 2000 }, 'RTP/AVP');
    expect(negotiated).toEqual({ remoteAddress: '127.0.0.1', remoteRtpPort: 4002, remoteRtcpPort: 4003, codec: 'vp8', payloadType: 100, feedback: { nack: true, pli: true, fir: true }, maxFs: 3600, remoteMaxBitrateKbps: 1000, direction: 'sendrecv', rtcpMux: false });
    expect(media.formats).toEqual(['100']);
    expect(media.attributes.map((a) => a.value)).toEqual(['100 nack', '100 nack pli', '100 ccm fir']);
  });

  it("linphone's offer: H.264 first when we prefer it, in the offer's mode and profile; a high profile is passed over", () => {
    const sd = session(LINPHONE);
    const { media, negotiated } = answerVideo(sd, sd.media[1], { port: 6000, codecs: ['h264', 'vp8'] }, 'RTP/AVP');
    expect(negotiated).toMatchObject({ codec: 'h264', payloadType: 97, packetizationMode: 1, profileLevelId: '42801F', feedback: { nack: false, pli: true, fir: true } });
    expect(media.fmtps).toEqual([{ payloadType: 97, parameters: 'profile-level-id=42801F;packetization-mode=1' }]);
    // 64001f (High) alone: nothing we can decode, so video is declined and the call keeps audio.
    const high = session(['m=video 9078 RTP/AVP 98', 'a=rtpmap:98 H264/90000', 'a=fmtp:98 profile-level-id=64001f'].join('\r\n'));
    const declined = answerVideo(high, high.media[1], { port: 6000, codecs: ['h264', 'vp8'] }, 'RTP/AVP');
    expect(declined.negotiated).toBeUndefined();
    expect(declined.media.port).toBe(0);
  });

  it('declines (port 0) when we want no video, and mirrors a sendonly offer as recvonly', () => {
    const sd = session(BARESIP_VP8);
    expect(answerVideo(sd, sd.media[1], { port: 0, codecs: ['vp8'] }, 'RTP/AVP').media.port).toBe(0);
    const sendonly = session(BARESIP_VP8.replace('a=sendrecv', 'a=sendonly'));
    const r = answerVideo(sendonly, sendonly.media[1], { port: 6000, codecs: ['vp8'] }, 'RTP/AVP');
    expect(r.media.direction).toBe('recvonly');
    expect(r.negotiated?.direction).toBe('recvonly');
  });
});

describe("reading the peer's answer to our video offer", () => {
  it('the codec it picked, its limit in b=TIAS, or undefined when it declined video', () => {
    const ours = videoOffer({ port: 5004, codecs: ['vp8', 'h264'] }, 'RTP/AVP');
    const answer = session(['m=video 7000 RTP/AVP 97', 'b=TIAS:512000', 'a=rtpmap:97 H264/90000', 'a=fmtp:97 profile-level-id=42e01f;packetization-mode=1', 'a=rtcp-fb:97 nack', 'a=recvonly'].join('\r\n'));
    expect(readVideoAnswer(ours, answer, answer.media[1])).toEqual({ remoteAddress: '127.0.0.1', remoteRtpPort: 7000, remoteRtcpPort: 7001, codec: 'h264', payloadType: 97, packetizationMode: 1, profileLevelId: '42e01f', feedback: { nack: true, pli: false, fir: false }, remoteMaxBitrateKbps: 512, direction: 'sendonly', rtcpMux: false });
    const declined = session('m=video 0 RTP/AVP 96');
    expect(readVideoAnswer(ours, declined, declined.media[1])).toBeUndefined();
  });
});

describe('video in a whole offer and answer', () => {
  const local = { address: '127.0.0.1', codecs: ['pcmu', 'opus'] as const };

  it('audio and video offered, answered and read back: each side knows where to send what', () => {
    const offer = createOffer({ ...local, codecs: [...local.codecs], port: 4000, video: { port: 4002, codecs: ['vp8', 'h264'], maxBitrateKbps: 1000 } });
    expect(offer.media.map((m) => [m.type, m.port])).toEqual([['audio', 4000], ['video', 4002]]);
    // Video payload types start above the audio's dynamic ones.
    const audioDynamic = offer.media[0].formats.map(Number).filter((n) => n >= 96);
    expect(Math.min(...offer.media[1].formats.map(Number))).toBeGreaterThan(Math.max(95, ...audioDynamic));
    const received = parseSdp(formatSdp(offer));
    const { answer, negotiated, video } = createAnswer({ ...local, codecs: ['opus'], port: 6000, offer: received, video: { port: 6002, codecs: ['h264', 'vp8'] } });
    expect(negotiated?.codec.name).toBe('opus');
    expect(video).toMatchObject({ codec: 'h264', packetizationMode: 1, remoteRtpPort: 4002, remoteMaxBitrateKbps: 1000 });
    const back = parseSdp(formatSdp(answer));
    expect(processAnswer({ offer, answer: back }).codec.name).toBe('opus');
    expect(processVideoAnswer({ offer, answer: back })).toMatchObject({ codec: 'h264', remoteRtpPort: 6002, direction: 'sendrecv' });
  });

  it('an answerer without video declines the m=video (port 0) and the call keeps its audio', () => {
    const offer = createOffer({ ...local, codecs: [...local.codecs], port: 4000, video: { port: 4002, codecs: ['vp8'] } });
    const { answer, negotiated, video } = createAnswer({ ...local, codecs: ['pcmu'], port: 6000, offer: parseSdp(formatSdp(offer)) });
    expect(negotiated?.codec.name).toBe('pcmu');
    expect(video).toBeUndefined();
    expect(answer.media.map((m) => [m.type, m.port])).toEqual([['audio', 6000], ['video', 0]]);
    expect(processVideoAnswer({ offer, answer })).toBeUndefined();
  });

  it('a re-offer without video keeps the m-line in its place with port 0 (RFC 3264 §8.2), and one with video puts it back', () => {
    const first = createOffer({ ...local, codecs: [...local.codecs], port: 4000, video: { port: 4002, codecs: ['vp8'] } });
    const again = createOffer({ ...local, codecs: [...local.codecs], port: 4000, previous: first });
    expect(again.media.map((m) => [m.type, m.port])).toEqual([['audio', 4000], ['video', 0]]);
    const back = createOffer({ ...local, codecs: [...local.codecs], port: 4000, previous: again, video: { port: 4002, codecs: ['vp8'] } });
    expect(back.media.map((m) => [m.type, m.port])).toEqual([['audio', 4000], ['video', 4002]]);
    expect(Number(back.origin.sessionVersion)).toBe(Number(first.origin.sessionVersion) + 2);
  });

  it('SDES-SRTP (RFC 4568): the video m-line carries its own keys both ways; RTP/SAVP video without a usable key is declined', () => {
    const audioKey = new Uint8Array(30).fill(1);
    const videoKey = new Uint8Array(30).fill(2);
    const offer = createOffer({
      ...local,
      codecs: [...local.codecs],
      port: 4000,
      srtp: 'mandatory',
      srtpKeys: { AES_CM_128_HMAC_SHA1_80: audioKey },
      cryptoSuites: ['AES_CM_128_HMAC_SHA1_80'],
      video: { port: 4002, codecs: ['vp8'], srtpKeys: { AES_CM_128_HMAC_SHA1_80: videoKey } },
    });
    expect(offer.media.map((m) => m.proto)).toEqual(['RTP/SAVP', 'RTP/SAVP']);
    expect(offer.media[1].crypto).toHaveLength(1);
    expect(offer.media[1].crypto[0].keyParams[0].keySalt).not.toBe(offer.media[0].crypto[0].keyParams[0].keySalt);
    const theirVideoKey = new Uint8Array(30).fill(3);
    const { answer, video } = createAnswer({
      ...local,
      codecs: ['pcmu'],
      port: 6000,
      srtp: 'mandatory',
      offer: parseSdp(formatSdp(offer)),
      video: { port: 6002, codecs: ['vp8'], srtpKeys: { AES_CM_128_HMAC_SHA1_80: theirVideoKey } },
    });
    expect(video?.srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_80', localKey: theirVideoKey, remoteKey: videoKey });
    const read = processVideoAnswer({ offer, answer: parseSdp(formatSdp(answer)) });
    expect(read?.srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_80', localKey: videoKey, remoteKey: theirVideoKey });
    // An answerer with SRTP off cannot take RTP/SAVP video: declined, and the audio is refused as before.
    const off = createAnswer({ ...local, codecs: ['pcmu'], port: 6000, srtp: 'optional', cryptoSuites: [], offer: parseSdp(formatSdp(offer)), video: { port: 6002, codecs: ['vp8'] } });
    expect(off.video).toBeUndefined();
    // Our RTP/SAVP offer answered without a=crypto on the video: unusable, so no video.
    const stripped = parseSdp(formatSdp(answer));
    stripped.media[1].crypto = [];
    expect(processVideoAnswer({ offer, answer: stripped })).toBeUndefined();
  });

  it('hold makes an active video m-line inactive (nothing to show on hold) and resume makes it sendrecv again', () => {
    const offer = createOffer({ ...local, codecs: [...local.codecs], port: 4000, video: { port: 4002, codecs: ['vp8'] } });
    const held = createHoldOffer({ previous: offer });
    expect(held.media.map((m) => m.direction)).toEqual(['sendonly', 'inactive']);
    const resumed = createResumeOffer({ previous: held });
    expect(resumed.media.map((m) => m.direction)).toEqual(['sendrecv', 'sendrecv']);
  });
});
