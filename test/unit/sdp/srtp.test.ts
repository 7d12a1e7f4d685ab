import { describe, expect, it } from 'vitest';
import { SdpError, createAnswer, createOffer, decodeSrtpKey, encodeSrtpKey, formatSdp, generateSrtpKey, parseSdp, processAnswer } from '../../../main/sdp/index.ts';
import type { AnswerOptions, LocalMedia, SrtpPolicy } from '../../../main/sdp/index.ts';
import { parseCryptoAttribute, formatCryptoAttribute } from '../../../main/sdp/crypto-attribute.ts';
import { audioSdp, parsedFixture } from './helpers.ts';

const KEY_A = 'ynKsiuW2y0cfKrTZSNrxHP/Cndlydl2VIRBfM6Oi';
const KEY_B = 'buHkxnYgsYi2NouBdZKY1DJAxHY5pvMOYeynTo4Z';
const GCM_KEY = 'ghVMrhksmBTJ8Sot+AwSAC4anD6URjpCSJUc/Q==';
const OURS = Uint8Array.from({ length: 30 }, (_, i) => i + 1);

const LOCAL: Omit<AnswerOptions, 'offer'> = { address: '127.0.0.1', port: 50000, codecs: ['pcmu', 'pcma'], srtpKeys: { AES_CM_128_HMAC_SHA1_80: OURS, AES_CM_128_HMAC_SHA1_32: OURS } };

function answerWith(policy: SrtpPolicy, offer: string, extra: Partial<AnswerOptions> = {}) {
  return createAnswer({ ...LOCAL, srtp: policy, ...extra, offer: parseSdp(offer) });
}

describe('SRTP keys (RFC 4568 §6.1)', () => {
  it('generateSrtpKey gives 30 random bytes for AES_CM_128 and 28 for AEAD_AES_128_GCM', () => {
    const a = generateSrtpKey('AES_CM_128_HMAC_SHA1_80');
    const b = generateSrtpKey('AES_CM_128_HMAC_SHA1_80');
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(30);
    expect(generateSrtpKey('AES_CM_128_HMAC_SHA1_32').length).toBe(30);
    expect(generateSrtpKey('AEAD_AES_128_GCM').length).toBe(28);
    expect(a).not.toEqual(b);
  });

  it('encodes key ‖ salt as base64 (40 characters; 28 bytes padded) and decodes it back', () => {
    expect(encodeSrtpKey(OURS)).toHaveLength(40);
    expect(decodeSrtpKey(encodeSrtpKey(OURS), 'AES_CM_128_HMAC_SHA1_80')).toEqual(OURS);
    expect(decodeSrtpKey(GCM_KEY, 'AEAD_AES_128_GCM')?.length).toBe(28);
    expect(GCM_KEY.endsWith('==')).toBe(true);
  });

  it('refuses a key of the wrong length or not base64', () => {
    expect(decodeSrtpKey(GCM_KEY, 'AES_CM_128_HMAC_SHA1_80')).toBeUndefined();
    expect(decodeSrtpKey(KEY_A, 'AEAD_AES_128_GCM')).toBeUndefined();
    expect(decodeSrtpKey('not base64!', 'AES_CM_128_HMAC_SHA1_80')).toBeUndefined();
  });

  it('a=crypto round-trips with lifetime, MKI and session parameters (RFC 4568 §9.1)', () => {
    const text = `3 AES_CM_128_HMAC_SHA1_32 inline:${KEY_A}|2^20|1:4;inline:${KEY_B}|2^20|2:4 FEC_ORDER=FEC_SRTP`;
    const crypto = parseCryptoAttribute(text);
    expect(crypto?.keyParams).toHaveLength(2);
    expect(crypto?.keyParams[1]).toEqual({ method: 'inline', keySalt: KEY_B, lifetime: '2^20', mki: { value: '2', length: 4 } });
    expect(formatCryptoAttribute(crypto!)).toBe(text);
    expect(parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}|1:4|2^20`)).toBeUndefined(); // lifetime after MKI
    expect(parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 uri:${KEY_A}`)).toBeUndefined();
    expect(parseCryptoAttribute('1234567890 AES_CM_128_HMAC_SHA1_80 inline:' + KEY_A)).toBeUndefined(); // tag > 9 digits
  });
});

describe('createOffer: SRTP policy', () => {
  const base: LocalMedia = { address: '127.0.0.1', port: 40000, codecs: ['pcmu'] };

  it("'off': RTP/AVP without a=crypto", () => {
    const [m] = createOffer({ ...base, srtp: 'off' }).media;
    expect(m.proto).toBe('RTP/AVP');
    expect(m.crypto).toEqual([]);
  });

  it("'optional': RTP/AVP WITH a=crypto (best-effort SRTP), AES_CM_128_HMAC_SHA1_80 then _32", () => {
    const [m] = createOffer({ ...base, srtp: 'optional' }).media;
    expect(m.proto).toBe('RTP/AVP');
    expect(m.crypto.map((c) => [c.tag, c.suite])).toEqual([
      [1, 'AES_CM_128_HMAC_SHA1_80'],
      [2, 'AES_CM_128_HMAC_SHA1_32'],
    ]);
    for (const c of m.crypto) expect(decodeSrtpKey(c.keyParams[0].keySalt, 'AES_CM_128_HMAC_SHA1_80')?.length).toBe(30);
  });

  it("'mandatory': RTP/SAVP with a=crypto", () => {
    expect(createOffer({ ...base, srtp: 'mandatory' }).media[0].proto).toBe('RTP/SAVP');
  });

  it('offers AEAD_AES_128_GCM only when asked, with a 28-byte key (RFC 7714)', () => {
    const offer = createOffer({ ...base, srtp: 'mandatory', cryptoSuites: ['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80'] });
    expect(offer.media[0].crypto.map((c) => c.suite)).toEqual(['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80']);
    expect(decodeSrtpKey(offer.media[0].crypto[0].keyParams[0].keySalt, 'AEAD_AES_128_GCM')?.length).toBe(28);
  });

  it('formats the key material the caller passes as inline:<base64>, and refuses one of the wrong length', () => {
    const text = formatSdp(createOffer({ ...base, srtp: 'mandatory', cryptoSuites: ['AES_CM_128_HMAC_SHA1_80'], srtpKeys: { AES_CM_128_HMAC_SHA1_80: OURS } }));
    expect(text).toContain(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${encodeSrtpKey(OURS)}\r\n`);
    expect(() => createOffer({ ...base, srtp: 'mandatory', srtpKeys: { AES_CM_128_HMAC_SHA1_80: new Uint8Array(16) } })).toThrow(/srtpKeys.AES_CM_128_HMAC_SHA1_80: expected 30 bytes/);
  });
});

describe('createAnswer: SRTP policy × what the peer offers', () => {
  const plain = audioSdp();
  const bestEffort = parsedFixture('baresip-offer'); // RTP/AVP + crypto _32 (tag 1), _80 (tag 2)
  const savp = audioSdp({ proto: 'RTP/SAVP', media: ['a=rtpmap:0 PCMU/8000', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`] });
  const savpNoCrypto = audioSdp({ proto: 'RTP/SAVP' });
  const exotic = audioSdp({ media: ['a=rtpmap:0 PCMU/8000', `a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:${KEY_A}${KEY_A}`, `a=crypto:2 F8_128_HMAC_SHA1_80 inline:${KEY_B}`] });
  const bestEffortText = formatSdp(bestEffort);

  // [policy, offer, expected: 'rtp' | 'srtp' | reason]
  const table: [SrtpPolicy, string, string, string][] = [
    ['off', 'RTP/AVP', plain, 'rtp'],
    ['off', 'RTP/AVP + a=crypto', bestEffortText, 'rtp'],
    ['off', 'RTP/SAVP + a=crypto', savp, 'the caller requires SRTP (RTP/SAVP) and SRTP is off'],
    ['optional', 'RTP/AVP', plain, 'rtp'],
    ['optional', 'RTP/AVP + a=crypto', bestEffortText, 'srtp'],
    ['optional', 'RTP/SAVP + a=crypto', savp, 'srtp'],
    ['optional', 'RTP/SAVP without a=crypto', savpNoCrypto, 'the caller offers RTP/SAVP without a=crypto keys (only SDES-SRTP is supported)'],
    ['optional', 'RTP/AVP + unsupported suites', exotic, 'rtp'],
    ['mandatory', 'RTP/AVP', plain, 'the caller does not offer SRTP'],
    ['mandatory', 'RTP/AVP + a=crypto', bestEffortText, 'srtp'],
    ['mandatory', 'RTP/SAVP + a=crypto', savp, 'srtp'],
    ['mandatory', 'RTP/SAVP without a=crypto', savpNoCrypto, 'the caller offers RTP/SAVP without a=crypto keys (only SDES-SRTP is supported)'],
    [
      'mandatory',
      'RTP/AVP + unsupported suites',
      exotic,
      'the caller offers no SRTP crypto suite we support (offered: AES_256_CM_HMAC_SHA1_80, F8_128_HMAC_SHA1_80; we support: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32)',
    ],
  ];
  it.each(table)("policy '%s', offer %s", (policy, _what, offer, expected) => {
    const result = answerWith(policy, offer);
    const [m] = result.answer.media;
    if (expected === 'rtp' || expected === 'srtp') {
      expect(result.rejected).toBeUndefined();
      expect(m.proto).toBe(parseSdp(offer).media[0].proto); // the answer keeps the offer's profile
      expect(m.crypto).toHaveLength(expected === 'srtp' ? 1 : 0);
      expect(result.negotiated?.srtp === undefined).toBe(expected === 'rtp');
    } else {
      expect(result.negotiated).toBeUndefined();
      expect(m.port).toBe(0);
      expect(result.rejected).toBe(expected);
    }
  });

  it('RFC 4568 §7.1.3: answers with the same tag and suite as the offer line it accepts, and OUR key', () => {
    const result = answerWith('optional', bestEffortText);
    expect(result.answer.media[0].crypto).toEqual([{ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_32', keyParams: [{ method: 'inline', keySalt: encodeSrtpKey(OURS) }], sessionParams: [] }]);
    expect(result.negotiated?.srtp).toEqual({ suite: 'AES_CM_128_HMAC_SHA1_32', tag: 1, localKey: OURS, remoteKey: decodeSrtpKey(KEY_A, 'AES_CM_128_HMAC_SHA1_32') });
  });

  it('takes the offerer\'s first line among the suites we accept', () => {
    const result = answerWith('mandatory', bestEffortText, { cryptoSuites: ['AES_CM_128_HMAC_SHA1_80'] });
    expect(result.negotiated?.srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_80', tag: 2, remoteKey: decodeSrtpKey(KEY_B, 'AES_CM_128_HMAC_SHA1_80') });
  });

  it('skips lines with an MKI, session parameters or a bad key, and accepts the next one', () => {
    const offer = audioSdp({
      proto: 'RTP/SAVP',
      media: [
        'a=rtpmap:0 PCMU/8000',
        `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}|2^20|1:4`,
        `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A} UNENCRYPTED_SRTP`,
        `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${GCM_KEY}`,
        `a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}|2^31`,
      ],
    });
    expect(answerWith('mandatory', offer).negotiated?.srtp?.tag).toBe(4);
  });

  it('generates our key when none is given, and accepts GCM when we list it', () => {
    const offer = audioSdp({ proto: 'RTP/SAVP', media: ['a=rtpmap:0 PCMU/8000', `a=crypto:5 AEAD_AES_128_GCM inline:${GCM_KEY}`] });
    const result = createAnswer({ address: '127.0.0.1', port: 50000, codecs: ['pcmu'], srtp: 'mandatory', cryptoSuites: ['AEAD_AES_128_GCM'], offer: parseSdp(offer) });
    expect(result.negotiated?.srtp?.suite).toBe('AEAD_AES_128_GCM');
    expect(result.negotiated?.srtp?.localKey.length).toBe(28);
    expect(answerWith('mandatory', offer).rejected).toMatch(/no SRTP crypto suite we support \(offered: AEAD_AES_128_GCM/);
  });
});

describe('processAnswer: SRTP', () => {
  const offerer: LocalMedia = { address: '127.0.0.1', port: 40000, codecs: ['pcmu'], srtpKeys: { AES_CM_128_HMAC_SHA1_80: OURS, AES_CM_128_HMAC_SHA1_32: generateSrtpKey('AES_CM_128_HMAC_SHA1_32') } };
  const reply = (proto: string, ...crypto: string[]) => parseSdp(audioSdp({ proto, media: ['a=rtpmap:0 PCMU/8000', ...crypto] }));

  it('gives our key from our offer line and theirs from the answer, by tag', () => {
    const offer = createOffer({ ...offerer, srtp: 'mandatory' });
    const negotiated = processAnswer({ offer, answer: reply('RTP/SAVP', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}`) });
    expect(negotiated.srtp).toEqual({ suite: 'AES_CM_128_HMAC_SHA1_80', tag: 1, localKey: OURS, remoteKey: decodeSrtpKey(KEY_B, 'AES_CM_128_HMAC_SHA1_80') });
  });

  it('best-effort offer answered without a=crypto: plain RTP', () => {
    const offer = createOffer({ ...offerer, srtp: 'optional' });
    expect(processAnswer({ offer, answer: reply('RTP/AVP') }).srtp).toBeUndefined();
  });

  it('refuses, in words, answers whose crypto does not match our offer', () => {
    const mandatory = createOffer({ ...offerer, srtp: 'mandatory' });
    const plainOffer = createOffer({ ...offerer, srtp: 'off' });
    const cases: [typeof mandatory, ReturnType<typeof reply>, RegExp][] = [
      [mandatory, reply('RTP/SAVP'), /no a=crypto for our RTP\/SAVP offer/],
      [mandatory, reply('RTP/SAVP', `a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}`), /tag 9 is not one we offered/],
      [mandatory, reply('RTP/SAVP', `a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${KEY_B}`), /tag 1 names AES_CM_128_HMAC_SHA1_32, but we offered AES_CM_128_HMAC_SHA1_80/],
      [mandatory, reply('RTP/SAVP', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${GCM_KEY}`), /not a valid AES_CM_128_HMAC_SHA1_80 key/],
      [mandatory, reply('RTP/SAVP', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}|2^20|1:4`), /MKI/],
      [plainOffer, reply('RTP/AVP', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}`), /a=crypto but our offer has none/],
    ];
    for (const [offer, answer, reason] of cases) {
      let error: unknown;
      try {
        processAnswer({ offer, answer });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SdpError);
      expect((error as SdpError).code).toBe('not-acceptable');
      expect((error as SdpError).reason).toMatch(reason);
      expect((error as SdpError).message).not.toContain(KEY_B);
    }
  });

  it('end to end: optional offerer, mandatory answerer; each side decrypts with the other\'s key', () => {
    const offer = createOffer({ address: '127.0.0.1', port: 40000, codecs: ['opus', 'pcmu'], srtp: 'optional' });
    const result = createAnswer({ address: '127.0.0.1', port: 50000, codecs: ['pcmu', 'opus'], srtp: 'mandatory', offer: parseSdp(formatSdp(offer)) });
    const caller = processAnswer({ offer, answer: parseSdp(formatSdp(result.answer)) });
    const callee = result.negotiated!;
    expect(caller.srtp?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(caller.srtp?.localKey).toEqual(callee.srtp?.remoteKey);
    expect(caller.srtp?.remoteKey).toEqual(callee.srtp?.localKey);
    expect(caller.srtp?.localKey).not.toEqual(caller.srtp?.remoteKey);
  });
});
