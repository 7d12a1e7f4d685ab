import { describe, expect, it } from 'vitest';
import { SdpError, mediaConnection, mediaDirection, parseSdp } from '../../../main/sdp/index.ts';
import { FIXTURES, audioSdp, fixture, parsedFixture, sdp } from './helpers.ts';

function parseError(text: string): SdpError {
  try {
    parseSdp(text);
  } catch (error) {
    expect(error).toBeInstanceOf(SdpError);
    return error as SdpError;
  }
  throw new Error('expected parseSdp to throw');
}

describe('parseSdp: real-world SDPs', () => {
  it.each(FIXTURES)('reads %s', (name) => {
    const sd = parseSdp(fixture(name));
    expect(sd.media.length).toBeGreaterThan(0);
    expect(sd.origin.sessionId).toMatch(/^\d+$/);
  });

  it('baresip 1.0: opus stereo fmtp, a=rtcp, a=ssrc, two a=crypto, unknown attributes kept in order', () => {
    const sd = parsedFixture('baresip-offer');
    expect(sd.origin).toEqual({ username: '-', sessionId: '1734052412', sessionVersion: '2013441306', addressType: 'IP4', address: '127.0.0.1' });
    expect(sd.attributes).toEqual([{ name: 'tool', value: 'baresip 1.0.0' }]);
    const [m] = sd.media;
    expect(m).toMatchObject({ type: 'audio', port: 10326, proto: 'RTP/AVP', formats: ['96', '9', '0', '8', '101'], ptime: 20, direction: 'sendrecv', rtcp: { port: 10327 }, rtcpMux: false });
    expect(m.bandwidths).toEqual([{ type: 'AS', value: 96 }]);
    expect(m.rtpmaps[0]).toEqual({ payloadType: 96, encodingName: 'opus', clockRate: 48000, channels: 2 });
    expect(m.rtpmaps[1]).toEqual({ payloadType: 9, encodingName: 'G722', clockRate: 8000 });
    expect(m.fmtps).toEqual([
      { payloadType: 96, parameters: 'stereo=1;sprop-stereo=1' },
      { payloadType: 101, parameters: '0-15' },
    ]);
    expect(m.ssrcs).toEqual([{ id: 2979473402, attribute: 'cname', value: 'ab3b1a6c-8c0e-4c71-b5f4-0fd4ef86ad4f' }]);
    expect(m.crypto).toEqual([
      { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_32', keyParams: [{ method: 'inline', keySalt: 'ynKsiuW2y0cfKrTZSNrxHP/Cndlydl2VIRBfM6Oi' }], sessionParams: [] },
      { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: [{ method: 'inline', keySalt: 'buHkxnYgsYi2NouBdZKY1DJAxHY5pvMOYeynTo4Z' }], sessionParams: [] },
    ]);
    expect(m.attributes).toEqual([{ name: 'label', value: '1' }, { name: 'rtcp-rsize' }]);
  });

  it('baresip with mandatory SRTP: RTP/SAVP and a=rtcp-mux', () => {
    const [m] = parsedFixture('baresip-srtp-mandatory-offer').media;
    expect(m.proto).toBe('RTP/SAVP');
    expect(m.rtcpMux).toBe(true);
    expect(m.crypto.map((c) => c.tag)).toEqual([1, 2]);
  });

  it('linphone 5.1: static G.729 with only an fmtp, telephone-event at three clock rates, rtcp-fb kept', () => {
    const sd = parsedFixture('linphone-offer');
    expect(sd.sessionName).toBe('Talk');
    const [m] = sd.media;
    expect(m.formats).toEqual(['96', '97', '98', '0', '8', '18', '3', '9', '101', '99', '100']);
    expect(m.rtpmaps.find((r) => r.payloadType === 18)).toBeUndefined();
    expect(m.fmtps.find((f) => f.payloadType === 18)?.parameters).toBe('annexb=yes');
    expect(m.rtpmaps.filter((r) => r.encodingName === 'telephone-event').map((r) => r.clockRate)).toEqual([48000, 16000, 8000]);
    expect(m.rtcp).toEqual({ port: 7079 });
    expect(m.attributes).toEqual([
      { name: 'rtcp-fb', value: '* trr-int 1000' },
      { name: 'rtcp-fb', value: '* ccm tmmbr' },
    ]);
    expect(sd.attributes.map((a) => a.name)).toEqual(['rtcp-xr', 'record']);
  });

  it('Asterisk: a=ptime and a=maxptime, a=crypto before the rtpmaps', () => {
    expect(parsedFixture('asterisk-answer').media[0]).toMatchObject({ ptime: 20, maxptime: 150, direction: 'sendrecv' });
    const srtp = parsedFixture('asterisk-srtp-offer').media[0];
    expect(srtp.crypto).toHaveLength(1);
    expect(srtp.rtpmaps).toHaveLength(4);
  });

  it('Kamailio-relayed: media address differs from o=, a=rtcp with its own address (RFC 3605)', () => {
    const sd = parsedFixture('kamailio-relayed-offer');
    expect(sd.origin.address).toBe('127.0.0.1');
    expect(mediaConnection(sd, sd.media[0])?.address).toBe('127.0.0.2');
    expect(sd.media[0].rtcp).toEqual({ port: 30003, connection: { addressType: 'IP4', address: '127.0.0.2' } });
    expect(sd.attributes).toEqual([{ name: 'nortpproxy', value: 'yes' }]);
  });

  it('IPv6: c=IN IP6 ::1', () => {
    const sd = parsedFixture('ipv6-offer');
    expect(sd.connection).toEqual({ addressType: 'IP6', address: '::1' });
    expect(sd.origin.addressType).toBe('IP6');
  });

  it('accepts bare LF line endings (RFC 8866 §5) and gives the same model as CRLF', () => {
    expect(parsedFixture('ipv6-offer-lf')).toEqual(parsedFixture('ipv6-offer'));
  });

  it('WebRTC: media-level c=, a=rtcp with address, ICE/DTLS attributes kept; a 19-digit sess-id stays exact', () => {
    const sd = parsedFixture('webrtc-offer');
    expect(sd.origin.sessionId).toBe('4611731400430051336');
    expect(sd.connection).toBeUndefined();
    const [m] = sd.media;
    expect(m.proto).toBe('UDP/TLS/RTP/SAVPF');
    expect(m.connection).toEqual({ addressType: 'IP4', address: '0.0.0.0' });
    expect(m.attributes.map((a) => a.name)).toEqual(['ice-ufrag', 'ice-pwd', 'fingerprint', 'setup', 'mid', 'rtcp-fb']);
    expect(sd.attributes).toEqual([
      { name: 'group', value: 'BUNDLE 0' },
      { name: 'msid-semantic', value: ' WMS' },
    ]);
  });

  it('two m-lines with their own attributes', () => {
    const sd = parsedFixture('audio-video-offer');
    expect(sd.media.map((m) => [m.type, m.port, m.formats.length])).toEqual([
      ['audio', 54400, 3],
      ['video', 55400, 2],
    ]);
    expect(sd.media[1].rtpmaps.map((r) => r.encodingName)).toEqual(['H264', 'VP8']);
  });
});

describe('parseSdp: direction at session or media level (RFC 8866 §6.7)', () => {
  it('a media-level direction wins over the session-level one', () => {
    const sd = parseSdp(audioSdp({ session: ['a=sendonly'], media: ['a=rtpmap:0 PCMU/8000', 'a=inactive'] }));
    expect(sd.direction).toBe('sendonly');
    expect(sd.media[0].direction).toBe('inactive');
    expect(mediaDirection(sd, sd.media[0])).toBe('inactive');
  });

  it('the session-level direction applies to media without one; none at all means sendrecv', () => {
    const held = parseSdp(audioSdp({ session: ['a=recvonly'] }));
    expect(mediaDirection(held, held.media[0])).toBe('recvonly');
    const plain = parseSdp(audioSdp());
    expect(mediaDirection(plain, plain.media[0])).toBe('sendrecv');
  });
});

describe('parseSdp: unknown is kept, not refused', () => {
  it('an unknown transport protocol is not an error (the answer rejects that stream)', () => {
    const sd = parseSdp(audioSdp({ proto: 'TCP/MSRP', formats: '*', media: ['a=accept-types:text/plain'] }));
    expect(sd.media[0].proto).toBe('TCP/MSRP');
    expect(sd.media[0].formats).toEqual(['*']);
  });

  it('a malformed a=rtpmap, a=crypto or a=rtcp stays as an unknown attribute (RFC 8866 §5.13)', () => {
    const sd = parseSdp(audioSdp({ media: ['a=rtpmap:0 PCMU', 'a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:abc', 'a=rtcp:99999', 'a=ptime:zero'] }));
    const m = sd.media[0];
    expect(m.rtpmaps).toEqual([]);
    expect(m.crypto).toEqual([]);
    expect(m.rtcp).toBeUndefined();
    expect(m.ptime).toBeUndefined();
    expect(m.attributes.map((a) => a.name)).toEqual(['rtpmap', 'crypto', 'rtcp', 'ptime']);
  });

  it('a crypto line with lifetime, MKI and session parameters (RFC 4568 §9.1)', () => {
    const sd = parseSdp(audioSdp({ media: ['a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:buHkxnYgsYi2NouBdZKY1DJAxHY5pvMOYeynTo4Z|2^20|1:4 KDR=1 UNENCRYPTED_SRTCP'] }));
    expect(sd.media[0].crypto).toEqual([
      {
        tag: 7,
        suite: 'AES_CM_128_HMAC_SHA1_80',
        keyParams: [{ method: 'inline', keySalt: 'buHkxnYgsYi2NouBdZKY1DJAxHY5pvMOYeynTo4Z', lifetime: '2^20', mki: { value: '1', length: 4 } }],
        sessionParams: ['KDR=1', 'UNENCRYPTED_SRTCP'],
      },
    ]);
  });

  it('tolerates a missing s= and t= and a trailing blank line', () => {
    const sd = parseSdp('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nm=audio 5004 RTP/AVP 0\r\n\r\n');
    expect(sd.sessionName).toBe('-');
    expect(sd.timing).toEqual([{ start: 0, stop: 0, repeats: [] }]);
  });

  it('a rejected m-line (port 0) needs no c= and may list no format', () => {
    const sd = parseSdp(sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0', 'm=audio 0 RTP/AVP'));
    expect(sd.media[0]).toMatchObject({ port: 0, formats: [] });
  });
});

describe('parseSdp: invalid SDP throws SdpError with a reason in words', () => {
  const cases: [string, string, RegExp][] = [
    ['empty text', '', /empty/],
    ['no v= first', sdp('o=- 1 1 IN IP4 192.0.2.1', 's=-'), /does not start with v=/],
    ['v=1', sdp('v=1', 'o=- 1 1 IN IP4 192.0.2.1'), /version/],
    ['no o=', sdp('v=0', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'), /o= line is missing/],
    ['o= with five fields', sdp('v=0', 'o=- 1 IN IP4 192.0.2.1', 's=-'), /six fields/],
    ['o= with a version that is not a number', sdp('v=0', 'o=- 1 x IN IP4 192.0.2.1', 's=-'), /session version/],
    ['no c= anywhere', sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0', 'm=audio 5004 RTP/AVP 0'), /c= line is missing/],
    ['c= of an unknown address type', sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IPX 1', 't=0 0'), /address type/],
    ['a port that is not a number', audioSdp({ port: 'x' as unknown as number }), /bad port/],
    ['a port above 65535', audioSdp({ port: 70000 }), /above 65535/],
    ['an m= line without formats', sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 5004 RTP/AVP'), /no media format/],
    ['an unknown type letter', audioSdp({ media: ['y=what'] }), /unknown line type "y="/],
    ['a line without =', audioSdp({ media: ['rtpmap'] }), /<type>=<value>/],
    ['a second o=', sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 'o=- 1 1 IN IP4 192.0.2.1'), /second o=/],
    ['a bad b= line', audioSdp({ media: ['b=AS'] }), /b= line/],
  ];
  it.each(cases)('%s', (_name, text, reason) => {
    const error = parseError(text);
    expect(error.code).toBe('malformed');
    expect(error.reason).toMatch(reason);
  });

  it('gives the line number and never quotes a line (a=crypto lines carry keys)', () => {
    const secret = 'buHkxnYgsYi2NouBdZKY1DJAxHY5pvMOYeynTo4Z';
    const error = parseError(audioSdp({ media: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${secret}`, 'q=oops'] }));
    expect(error.line).toBe(8);
    expect(error.message).toContain('line 8');
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('oops');
  });
});
