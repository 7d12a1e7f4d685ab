// SRTP and SRTCP through libsrtp2 (RFC 3711, RFC 4568 suites, RFC 7714 AES-GCM).
//
// Known answers: libsrtp's own reference packets (test/srtp_driver.c, srtp_validate and
// srtp_validate_gcm) for the master key E1F97A0D3E018BE0D64FA32C06DE4139 + salt
// 0EC675AD498AFEEBB6960B3AABE6 (the RFC 3711 B.3 master key). The B.3 key derivation cannot be
// seen through the packet API, so the test derives the session keys itself with node:crypto
// (checked against the B.3 values), builds the SRTP and SRTCP packets independently from them
// (§3.3, §3.4, §4.1.1, §4.2) and requires the addon's bytes to be identical.
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { SrtpError, SrtpSession, srtpSuites, type SrtpSuite } from '../../../native/index.ts';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 3711 B.3 master key and salt (also libsrtp's test_key).
const MASTER_KEY = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
const MASTER_SALT = hex('0EC675AD498AFEEBB6960B3AABE6');
const KEY_AND_SALT = new Uint8Array([...MASTER_KEY, ...MASTER_SALT]);

// libsrtp srtp_validate(): RTP seq 0x1234, ts 0xdecafbad, SSRC 0xcafebabe, 16 bytes of 0xab.
const RTP_PLAIN = hex('800f1234decafbadcafebabe abababababababababababababababab');
const SRTP_SHA1_80 = hex('800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb');
const RTCP_PLAIN = hex('81c8000bcafebabe abababababababababababababababab');
const SRTCP_SHA1_80 = hex('81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798');

// libsrtp srtp_validate_gcm(): key 00..0f, salt a0..ab, 16-byte tag.
const GCM_KEY = hex('000102030405060708090a0b0c0d0e0f a0a1a2a3a4a5a6a7a8a9aaab');
const SRTP_GCM = hex('800f1234decafbadcafebabe c5002ede04cfdd2eb91159e0880aa06e d2976826f796b201df3131a127e8a392');
const SRTCP_GCM = hex('81c8000bcafebabe c98b8b5df0392a55852b6c21ac8e7025 c52c6fbea2b3b446ea31123ba88ce61e 80000001');

function session(suite: SrtpSuite, key: Uint8Array, direction: 'inbound' | 'outbound'): SrtpSession {
  return new SrtpSession({ suite, key, direction });
}

function rtp(opts: { seq: number; ssrc?: number; payload?: Uint8Array }): Uint8Array {
  const payload = opts.payload ?? new Uint8Array(160).fill(0x55);
  const p = new Uint8Array(12 + payload.length);
  const v = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = 0; // PCMU
  v.setUint16(2, opts.seq & 0xffff);
  v.setUint32(4, (opts.seq * 160) >>> 0);
  v.setUint32(8, opts.ssrc ?? 0x11223344);
  p.set(payload, 12);
  return p;
}

function rtcpSenderReport(ssrc = 0x11223344): Uint8Array {
  const p = new Uint8Array(28);
  const v = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = 200; // SR, RFC 3550 §6.4.1
  v.setUint16(2, 6);
  v.setUint32(4, ssrc);
  for (let i = 8; i < 28; i++) p[i] = i;
  return p;
}

function srtpErrorOf(fn: () => unknown): SrtpError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SrtpError);
    return err as SrtpError;
  }
  throw new Error('expected an SrtpError');
}

// ---- an independent RFC 3711 implementation, as the oracle ----------------------------------------

/** AES-CM keystream (RFC 3711 §4.1.1): AES_k(IV), AES_k(IV + 1), … */
function aesCm(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-ctr', key, iv);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/** RFC 3711 §4.3.1 with key_derivation_rate 0: x = (label << 48) XOR master_salt, PRF = AES-CM(x * 2^16). */
function derive(label: number, length: number): Uint8Array {
  const iv = new Uint8Array(16);
  iv.set(MASTER_SALT, 0);
  iv[7] ^= label;
  return aesCm(MASTER_KEY, iv, new Uint8Array(length));
}

/** IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16) (RFC 3711 §4.1.1). */
function counterIv(salt: Uint8Array, ssrc: number, index: bigint): Uint8Array {
  const iv = new Uint8Array(16);
  iv.set(salt, 0);
  const v = new DataView(iv.buffer);
  v.setUint32(4, v.getUint32(4) ^ ssrc);
  const idx = index << 16n;
  for (let i = 0; i < 8; i++) iv[15 - i] ^= Number((idx >> BigInt(8 * i)) & 0xffn);
  return iv;
}

function hmac80(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha1', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest().subarray(0, 10));
}

describe('RFC 3711 B.3 key derivation, checked through the packets', () => {
  const sessionKey = derive(0x00, 16);
  const sessionAuth = derive(0x01, 20);
  const sessionSalt = derive(0x02, 14);

  it('the oracle derives the B.3 session keys', () => {
    expect(toHex(sessionKey)).toBe('c61e7a93744f39ee10734afe3ff7a087');
    expect(toHex(sessionAuth)).toBe('cebe321f6ff7716b6fd4ab49af256a156d38baa4');
    expect(toHex(sessionSalt)).toBe('30cbbc08863d8c85d49db34a9ae1');
  });

  it('protectRtp output equals the packet built from the B.3 keys (and libsrtp reference)', () => {
    const seq = 0x1234;
    const ssrc = 0xcafebabe;
    const encrypted = aesCm(sessionKey, counterIv(sessionSalt, ssrc, BigInt(seq)), RTP_PLAIN.subarray(12));
    const authenticated = new Uint8Array([...RTP_PLAIN.subarray(0, 12), ...encrypted]);
    const roc = new Uint8Array(4); // §3.3.1: the tag covers header ‖ payload ‖ ROC
    const expected = new Uint8Array([...authenticated, ...hmac80(sessionAuth, authenticated, roc)]);

    const out = session('AES_CM_128_HMAC_SHA1_80', KEY_AND_SALT, 'outbound').protectRtp(RTP_PLAIN);
    expect(toHex(out)).toBe(toHex(expected));
    expect(toHex(out)).toBe(toHex(SRTP_SHA1_80));
  });

  it('protectRtcp output equals the SRTCP packet built from the B.3 SRTCP keys (labels 3-5)', () => {
    const rtcpKey = derive(0x03, 16);
    const rtcpAuth = derive(0x04, 20);
    const rtcpSalt = derive(0x05, 14);
    const index = 1; // libsrtp's first SRTCP index
    const encrypted = aesCm(rtcpKey, counterIv(rtcpSalt, 0xcafebabe, BigInt(index)), RTCP_PLAIN.subarray(8));
    const eIndex = new Uint8Array([0x80, 0, 0, index]); // §3.4: E flag ‖ 31-bit SRTCP index
    const authenticated = new Uint8Array([...RTCP_PLAIN.subarray(0, 8), ...encrypted, ...eIndex]);
    const expected = new Uint8Array([...authenticated, ...hmac80(rtcpAuth, authenticated)]);

    const out = session('AES_CM_128_HMAC_SHA1_80', KEY_AND_SALT, 'outbound').protectRtcp(RTCP_PLAIN);
    expect(toHex(out)).toBe(toHex(expected));
    expect(toHex(out)).toBe(toHex(SRTCP_SHA1_80));
  });
});

describe('libsrtp reference packets', () => {
  it('AES_CM_128_HMAC_SHA1_80 unprotects the reference SRTP and SRTCP packets', () => {
    const inbound = session('AES_CM_128_HMAC_SHA1_80', KEY_AND_SALT, 'inbound');
    expect(toHex(inbound.unprotectRtp(SRTP_SHA1_80))).toBe(toHex(RTP_PLAIN));
    expect(toHex(inbound.unprotectRtcp(SRTCP_SHA1_80))).toBe(toHex(RTCP_PLAIN));
  });

  it('AES_CM_128_HMAC_SHA1_32 truncates the RTP tag to 4 bytes and keeps 10 on SRTCP', () => {
    const outbound = session('AES_CM_128_HMAC_SHA1_32', KEY_AND_SALT, 'outbound');
    expect(toHex(outbound.protectRtp(RTP_PLAIN))).toBe(toHex(SRTP_SHA1_80.subarray(0, 32)));
    expect(toHex(outbound.protectRtcp(RTCP_PLAIN))).toBe(toHex(SRTCP_SHA1_80));
    const inbound = session('AES_CM_128_HMAC_SHA1_32', KEY_AND_SALT, 'inbound');
    expect(toHex(inbound.unprotectRtp(SRTP_SHA1_80.subarray(0, 32)))).toBe(toHex(RTP_PLAIN));
  });

  it.runIf(srtpSuites().includes('AEAD_AES_128_GCM'))('AEAD_AES_128_GCM matches the reference packets both ways', () => {
    const outbound = session('AEAD_AES_128_GCM', GCM_KEY, 'outbound');
    expect(toHex(outbound.protectRtp(RTP_PLAIN))).toBe(toHex(SRTP_GCM));
    expect(toHex(outbound.protectRtcp(RTCP_PLAIN))).toBe(toHex(SRTCP_GCM));
    const inbound = session('AEAD_AES_128_GCM', GCM_KEY, 'inbound');
    expect(toHex(inbound.unprotectRtp(SRTP_GCM))).toBe(toHex(RTP_PLAIN));
    expect(toHex(inbound.unprotectRtcp(SRTCP_GCM))).toBe(toHex(RTCP_PLAIN));
  });
});

describe('srtpSuites', () => {
  it('lists the suites of this libsrtp (Debian builds it with OpenSSL, so GCM too)', () => {
    const suites = srtpSuites();
    expect(suites).toContain('AES_CM_128_HMAC_SHA1_80');
    expect(suites).toContain('AES_CM_128_HMAC_SHA1_32');
    expect(suites).toContain('AEAD_AES_128_GCM');
  });
});

const KEY_LENGTH: Record<SrtpSuite, number> = {
  AES_CM_128_HMAC_SHA1_80: 30,
  AES_CM_128_HMAC_SHA1_32: 30,
  AEAD_AES_128_GCM: 28,
};
const TRAILER: Record<SrtpSuite, { rtp: number; rtcp: number }> = {
  AES_CM_128_HMAC_SHA1_80: { rtp: 10, rtcp: 14 },
  AES_CM_128_HMAC_SHA1_32: { rtp: 4, rtcp: 14 },
  AEAD_AES_128_GCM: { rtp: 16, rtcp: 20 },
};

describe.each(srtpSuites())('%s', (suite) => {
  const key = new Uint8Array(randomBytes(KEY_LENGTH[suite]));

  it('protect -> unprotect round trip over a sequence number rollover', () => {
    const outbound = session(suite, key, 'outbound');
    const inbound = session(suite, key, 'inbound');
    for (const seq of [65530, 65531, 65532, 65533, 65534, 65535, 65536, 65537, 65538]) {
      const payload = new Uint8Array(randomBytes(160));
      const plain = rtp({ seq, payload });
      const protectedPacket = outbound.protectRtp(plain);
      expect(protectedPacket.length).toBe(plain.length + TRAILER[suite].rtp);
      expect(toHex(protectedPacket.subarray(0, 12))).toBe(toHex(plain.subarray(0, 12))); // header in clear
      expect(toHex(protectedPacket.subarray(12, 172))).not.toBe(toHex(payload));
      expect(toHex(inbound.unprotectRtp(protectedPacket))).toBe(toHex(plain));
    }
    outbound.close();
    inbound.close();
  });

  it('an inbound session accepts several SSRCs, each with its own replay window', () => {
    const outbound = session(suite, key, 'outbound');
    const inbound = session(suite, key, 'inbound');
    const a = outbound.protectRtp(rtp({ seq: 1, ssrc: 1 }));
    const b = outbound.protectRtp(rtp({ seq: 1, ssrc: 2 }));
    expect(inbound.unprotectRtp(a).length).toBe(172);
    expect(inbound.unprotectRtp(b).length).toBe(172);
  });

  it('accepts a packet that arrives late but inside the replay window', () => {
    const outbound = session(suite, key, 'outbound');
    const inbound = session(suite, key, 'inbound');
    const packets = [10, 11, 12, 13].map((seq) => outbound.protectRtp(rtp({ seq })));
    inbound.unprotectRtp(packets[0]);
    inbound.unprotectRtp(packets[2]);
    inbound.unprotectRtp(packets[3]);
    expect(inbound.unprotectRtp(packets[1]).length).toBe(172);
  });

  it("rejects a replayed packet with code 'replay' (RFC 3711 §3.3.2)", () => {
    const outbound = session(suite, key, 'outbound');
    const inbound = session(suite, key, 'inbound');
    const packet = outbound.protectRtp(rtp({ seq: 100 }));
    inbound.unprotectRtp(packet);
    const err = srtpErrorOf(() => inbound.unprotectRtp(packet));
    expect(err.code).toBe('replay');
  });

  it("rejects a tampered payload or tag with code 'auth'", () => {
    const outbound = session(suite, key, 'outbound');
    const inbound = session(suite, key, 'inbound');
    const good = outbound.protectRtp(rtp({ seq: 7 }));
    const flippedPayload = good.slice();
    flippedPayload[20] ^= 0x01;
    expect(srtpErrorOf(() => inbound.unprotectRtp(flippedPayload)).code).toBe('auth');
    const flippedTag = good.slice();
    flippedTag[flippedTag.length - 1] ^= 0x80;
    expect(srtpErrorOf(() => inbound.unprotectRtp(flippedTag)).code).toBe('auth');
    const wrongKey = session(suite, new Uint8Array(KEY_LENGTH[suite]), 'inbound');
    expect(srtpErrorOf(() => wrongKey.unprotectRtp(good)).code).toBe('auth');
    // The failures changed nothing: the genuine packet still goes through.
    expect(inbound.unprotectRtp(good).length).toBe(172);
  });

  it('RTCP: round trip, replay and tampering', () => {
    const outbound = session(suite, key, 'outbound');
    const inbound = session(suite, key, 'inbound');
    const plain = rtcpSenderReport();
    const first = outbound.protectRtcp(plain);
    const second = outbound.protectRtcp(plain);
    expect(first.length).toBe(plain.length + TRAILER[suite].rtcp);
    expect(toHex(first)).not.toBe(toHex(second)); // a new SRTCP index each time
    expect(toHex(inbound.unprotectRtcp(first))).toBe(toHex(plain));
    expect(srtpErrorOf(() => inbound.unprotectRtcp(first)).code).toBe('replay');
    const tampered = second.slice();
    tampered[10] ^= 0x04;
    expect(srtpErrorOf(() => inbound.unprotectRtcp(tampered)).code).toBe('auth');
    expect(toHex(inbound.unprotectRtcp(second))).toBe(toHex(plain));
  });

  it("refuses packets too short to be RTP or RTCP with code 'bad-packet'", () => {
    const outbound = session(suite, key, 'outbound');
    const inbound = session(suite, key, 'inbound');
    expect(srtpErrorOf(() => outbound.protectRtp(new Uint8Array(5))).code).toBe('bad-packet');
    expect(srtpErrorOf(() => inbound.unprotectRtp(new Uint8Array(11))).code).toBe('bad-packet');
    expect(srtpErrorOf(() => outbound.protectRtcp(new Uint8Array(4))).code).toBe('bad-packet');
    expect(srtpErrorOf(() => inbound.unprotectRtcp(new Uint8Array(7))).code).not.toBe('replay');
    // An RTP header announcing more CSRCs than the packet holds.
    const lying = rtp({ seq: 1, payload: new Uint8Array(0) });
    lying[0] = 0x8f;
    expect(['bad-packet', 'auth']).toContain(srtpErrorOf(() => inbound.unprotectRtp(lying)).code);
  });

  it('close() is idempotent and later calls fail cleanly', () => {
    const outbound = session(suite, key, 'outbound');
    outbound.close();
    outbound.close();
    expect(srtpErrorOf(() => outbound.protectRtp(rtp({ seq: 1 }))).code).toBe('error');
  });
});
