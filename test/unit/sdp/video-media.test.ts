/**
 * The video m-line (RFC 3264 on m=video): our offer, answers to offers as baresip (VP8) and
 * linphone (H.264 and VP8) write them, a declined video, and reading the peer's answer.
 */
import { describe, expect, it } from 'vitest';
import { formatSdp, parseSdp } from '../../../main/sdp/index.ts';
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
    expect(text).toContain('a=fmtp:97 profile-level-id=42e01f;packetization-mode=1');
    expect(text).toContain('a=fmtp:98 profile-level-id=42e01f;packetization-mode=0');
    expect(text).toContain('a=rtcp-fb:96 nack pli');
    expect(text).toContain('a=rtcp-fb:98 ccm fir');
    expect(text).toMatch(/b=AS:1500\r\nb=TIAS:1500000/);
    // It reads back as it was written.
    expect(parseSdp(text).media[0].formats).toEqual(['96', '97', '98']);
  });
});

describe('answering a video offer', () => {
  it("baresip's VP8: kept payload type, the feedback it asked for ('*'), its b=AS as our send limit", () => {
    const offer = session(BARESIP_VP8).media[1];
    const { media, negotiated } = answerVideo(offer, { port: 6000, codecs: ['vp8', 'h264'], maxBitrateKbps: 2000 }, 'RTP/AVP');
    expect(negotiated).toEqual({ codec: 'vp8', payloadType: 100, feedback: { nack: true, pli: true, fir: true }, remoteMaxBitrateKbps: 1000, direction: 'sendrecv', rtcpMux: false });
    expect(media.formats).toEqual(['100']);
    expect(media.attributes.map((a) => a.value)).toEqual(['100 nack', '100 nack pli', '100 ccm fir']);
  });

  it("linphone's offer: H.264 first when we prefer it, in the offer's mode and profile; a high profile is passed over", () => {
    const offer = session(LINPHONE).media[1];
    const { media, negotiated } = answerVideo(offer, { port: 6000, codecs: ['h264', 'vp8'] }, 'RTP/AVP');
    expect(negotiated).toMatchObject({ codec: 'h264', payloadType: 97, packetizationMode: 1, profileLevelId: '42801F', feedback: { nack: false, pli: true, fir: true } });
    expect(media.fmtps).toEqual([{ payloadType: 97, parameters: 'profile-level-id=42801F;packetization-mode=1' }]);
    // 64001f (High) alone: nothing we can decode, so video is declined and the call keeps audio.
    const high = session(['m=video 9078 RTP/AVP 98', 'a=rtpmap:98 H264/90000', 'a=fmtp:98 profile-level-id=64001f'].join('\r\n')).media[1];
    const declined = answerVideo(high, { port: 6000, codecs: ['h264', 'vp8'] }, 'RTP/AVP');
    expect(declined.negotiated).toBeUndefined();
    expect(declined.media.port).toBe(0);
  });

  it('declines (port 0) when we want no video, and mirrors a sendonly offer as recvonly', () => {
    const offer = session(BARESIP_VP8).media[1];
    expect(answerVideo(offer, { port: 0, codecs: ['vp8'] }, 'RTP/AVP').media.port).toBe(0);
    const sendonly = session(BARESIP_VP8.replace('a=sendrecv', 'a=sendonly')).media[1];
    const r = answerVideo(sendonly, { port: 6000, codecs: ['vp8'] }, 'RTP/AVP');
    expect(r.media.direction).toBe('recvonly');
    expect(r.negotiated?.direction).toBe('recvonly');
  });
});

describe("reading the peer's answer to our video offer", () => {
  it('the codec it picked, its limit in b=TIAS, or undefined when it declined video', () => {
    const ours = videoOffer({ port: 5004, codecs: ['vp8', 'h264'] }, 'RTP/AVP');
    const answer = session(['m=video 7000 RTP/AVP 97', 'b=TIAS:512000', 'a=rtpmap:97 H264/90000', 'a=fmtp:97 profile-level-id=42e01f;packetization-mode=1', 'a=rtcp-fb:97 nack', 'a=recvonly'].join('\r\n')).media[1];
    expect(readVideoAnswer(ours, answer)).toEqual({ codec: 'h264', payloadType: 97, packetizationMode: 1, profileLevelId: '42e01f', feedback: { nack: true, pli: false, fir: false }, remoteMaxBitrateKbps: 512, direction: 'sendonly', rtcpMux: false });
    const declined = session('m=video 0 RTP/AVP 96').media[1];
    expect(readVideoAnswer(ours, declined)).toBeUndefined();
  });
});
