import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSdp, parseSdp } from '../../../main/sdp/index.ts';
import type { Direction, MediaDescription, SessionDescription } from '../../../main/sdp/index.ts';
import { FIXTURES, fixture, parsedFixture } from './helpers.ts';

// sdp-transform has no type declarations: used here only as an independent reader of our output.
const require = createRequire(import.meta.url);
const sdpTransform = require('sdp-transform') as {
  parse(text: string): {
    origin: { sessionVersion: number };
    connection?: { ip: string };
    media: { type: string; port: number; protocol: string; payloads: string; rtp: { payload: number; codec: string; rate: number; encoding?: number }[]; fmtp: { payload: number; config: string }[]; crypto?: { id: number; suite: string; config: string }[]; direction?: string; rtcpMux?: string; ptime?: number }[];
  };
};

describe('formatSdp', () => {
  it.each(FIXTURES)('round-trips %s: parse(format(parse(text))) equals parse(text)', (name) => {
    const sd = parsedFixture(name);
    expect(parseSdp(formatSdp(sd))).toEqual(sd);
  });

  it('writes a fixture already in our order byte for byte (Asterisk answer, Kamailio-relayed offer, IPv6)', () => {
    for (const name of ['asterisk-answer', 'kamailio-relayed-offer', 'ipv6-offer', 'audio-video-offer']) {
      expect(formatSdp(parsedFixture(name))).toBe(fixture(name));
    }
  });

  it('ends every line with CRLF (RFC 8866 §5), the last one too', () => {
    const text = formatSdp(parsedFixture('ipv6-offer-lf'));
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n').every((line) => !line.includes('\n'))).toBe(true);
  });

  it('puts lines in the order of RFC 8866 §5 and rtpmap/fmtp in the order of the m= formats', () => {
    const text = formatSdp(parsedFixture('baresip-offer'));
    const types = text
      .trimEnd()
      .split('\r\n')
      .map((l) => l[0]);
    expect(types.join('')).toMatch(/^vosct+a*(mb?a+)+$/);
    const lines = text.split('\r\n');
    const at = (prefix: string): number => lines.findIndex((l) => l.startsWith(prefix));
    expect(at('a=rtpmap:96')).toBeLessThan(at('a=fmtp:96'));
    expect(at('a=fmtp:96')).toBeLessThan(at('a=rtpmap:9 '));
    expect(at('a=rtpmap:101')).toBeLessThan(at('a=ptime'));
    expect(at('a=ptime')).toBeLessThan(at('a=crypto:1'));
    expect(at('a=crypto:2')).toBeLessThan(at('a=sendrecv'));
    expect(at('a=sendrecv')).toBeLessThan(at('a=label'));
  });

  it('is read back the same by another parser (sdp-transform)', () => {
    const sd = parsedFixture('baresip-srtp-mandatory-offer');
    const theirs = sdpTransform.parse(formatSdp(sd));
    expect(theirs.origin.sessionVersion).toBe(1559287163);
    expect(theirs.connection?.ip).toBe('127.0.0.1');
    const [m] = theirs.media;
    expect(m).toMatchObject({ type: 'audio', port: 10154, protocol: 'RTP/SAVP', payloads: '96 9 0 8 101', direction: 'sendrecv', rtcpMux: 'rtcp-mux', ptime: 20 });
    expect(m.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}${r.encoding ? `/${r.encoding}` : ''}`)).toEqual(['96 opus/48000/2', '9 G722/8000', '0 PCMU/8000', '8 PCMA/8000', '101 telephone-event/8000']);
    expect(m.fmtp).toEqual([
      { payload: 96, config: 'stereo=1;sprop-stereo=1' },
      { payload: 101, config: '0-15' },
    ]);
    expect(m.crypto).toEqual([
      { id: 1, suite: 'AES_CM_128_HMAC_SHA1_32', config: 'inline:/cxNuDb444iVF0eDk9raWovox3QS9P4BAgHdkKzX' },
      { id: 2, suite: 'AES_CM_128_HMAC_SHA1_80', config: 'inline:9p8mQfVeoUzj3fyGmXiMjBnMLzaHq4XvoNyUjTAA' },
    ]);
  });
});

// ---- property: any model we can build comes back unchanged --------------------------------------

const token = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9\-_.]{0,11}$/);
const text = fc.stringMatching(/^[!-~][ -~]{0,20}$/).map((s) => s.trimEnd());
const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const ip6 = fc.constantFrom('::1', '2001:db8::7', 'fe80::1:2');
const connection = fc.oneof(ip4.map((address) => ({ addressType: 'IP4' as const, address })), ip6.map((address) => ({ addressType: 'IP6' as const, address })));
const direction = fc.constantFrom<Direction>('sendrecv', 'sendonly', 'recvonly', 'inactive');
const base64Key = fc.uint8Array({ minLength: 30, maxLength: 30 }).map((b) => Buffer.from(b).toString('base64'));
const KNOWN = new Set(['rtpmap', 'fmtp', 'ptime', 'maxptime', 'rtcp', 'rtcp-mux', 'crypto', 'ssrc', 'sendrecv', 'sendonly', 'recvonly', 'inactive']);
const attribute = fc.record({ name: token.filter((n) => !KNOWN.has(n)), value: fc.option(text, { nil: undefined }) }).map((a) => (a.value === undefined ? { name: a.name } : { name: a.name, value: a.value }));
const omitUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const media: fc.Arbitrary<MediaDescription> = fc
  .record({
    type: fc.constantFrom('audio', 'video', 'application'),
    port: fc.integer({ min: 1, max: 65535 }),
    proto: fc.constantFrom('RTP/AVP', 'RTP/SAVP', 'RTP/AVPF', 'RTP/SAVPF'),
    pts: fc.uniqueArray(fc.integer({ min: 0, max: 127 }), { minLength: 1, maxLength: 6 }),
    connection: fc.option(connection, { nil: undefined }),
    ptime: fc.option(fc.constantFrom(10, 20, 30, 60), { nil: undefined }),
    maxptime: fc.option(fc.constantFrom(40, 150), { nil: undefined }),
    direction: fc.option(direction, { nil: undefined }),
    rtcpPort: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    rtcpMux: fc.boolean(),
    keys: fc.array(base64Key, { maxLength: 3 }),
    ssrc: fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
    attributes: fc.array(attribute, { maxLength: 3 }),
  })
  .map((r) =>
    omitUndefined({
      type: r.type,
      port: r.port,
      proto: r.proto,
      formats: r.pts.map(String),
      connection: r.connection,
      bandwidths: [],
      rtpmaps: r.pts.map((pt, i) => ({ payloadType: pt, encodingName: `X${i}`, clockRate: 8000 * (i + 1), ...(i % 2 === 1 ? { channels: 2 } : {}) })),
      fmtps: r.pts.slice(0, 1).map((pt) => ({ payloadType: pt, parameters: 'a=1;b=2' })),
      ptime: r.ptime,
      maxptime: r.maxptime,
      direction: r.direction,
      rtcp: r.rtcpPort === undefined ? undefined : { port: r.rtcpPort },
      rtcpMux: r.rtcpMux,
      crypto: r.keys.map((keySalt, i) => ({ tag: i + 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: [{ method: 'inline' as const, keySalt }], sessionParams: [] })),
      ssrcs: r.ssrc === undefined ? [] : [{ id: r.ssrc, attribute: 'cname', value: 'x@y' }],
      attributes: r.attributes,
    }),
  );

const sessionDescription: fc.Arbitrary<SessionDescription> = fc
  .record({
    username: token,
    sessionId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
    sessionVersion: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
    origin: connection,
    sessionName: text,
    connection,
    direction: fc.option(direction, { nil: undefined }),
    attributes: fc.array(attribute, { maxLength: 3 }),
    media: fc.array(media, { maxLength: 3 }),
  })
  .map((r) =>
    omitUndefined({
      origin: { username: r.username, sessionId: r.sessionId, sessionVersion: r.sessionVersion, ...r.origin },
      sessionName: r.sessionName,
      emails: [],
      phones: [],
      connection: r.connection,
      bandwidths: [],
      timing: [{ start: 0, stop: 0, repeats: [] }],
      direction: r.direction,
      attributes: r.attributes,
      media: r.media,
    }),
  );

describe('formatSdp/parseSdp property', () => {
  it('parse(format(sd)) equals sd for any model written in our attribute order', () => {
    fc.assert(
      fc.property(sessionDescription, (sd) => {
        expect(parseSdp(formatSdp(sd))).toEqual(sd);
      }),
      { numRuns: 300 },
    );
  });
});
