/**
 * The STUN codec (RFC 5389) against the test vectors of RFC 5769 (typed in from the RFC: they
 * are facts) and against malformed input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STUN_BINDING, Stun, StunAttributeType, StunFormatError } from '../../../main/media/stun.ts';

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

/** RFC 5769 §2.1: sample request (ICE attributes, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT). */
const SAMPLE_REQUEST = bytes(`
  00 01 00 58  21 12 a4 42  b7 e7 a7 01  bc 34 d6 86  fa 87 df ae
  80 22 00 10  53 54 55 4e  20 74 65 73  74 20 63 6c  69 65 6e 74
  00 24 00 04  6e 00 01 ff
  80 29 00 08  93 2f f9 b1  51 26 3b 36
  00 06 00 09  65 76 74 6a  3a 68 36 76  59 20 20 20
  00 08 00 14  9a ea a7 0c  bf d8 cb 56  78 1e f2 b5  b2 d3 f2 49  c1 b5 71 a2
  80 28 00 04  e5 7a 3b cf`);

/** RFC 5769 §2.2: sample IPv4 response, mapped 192.0.2.1 port 32853. */
const IPV4_RESPONSE = bytes(`
  01 01 00 3c  21 12 a4 42  b7 e7 a7 01  bc 34 d6 86  fa 87 df ae
  80 22 00 0b  74 65 73 74  20 76 65 63  74 6f 72 20
  00 20 00 08  00 01 a1 47  e1 12 a6 43
  00 08 00 14  2b 91 f5 99  fd 9e 90 c3  8c 74 89 f9  2a f9 ba 53  f0 6b e7 d7
  80 28 00 04  c0 7d 4c 96`);

/** RFC 5769 §2.3: sample IPv6 response, mapped 2001:db8:1234:5678:11:2233:4455:6677 port 32853. */
const IPV6_RESPONSE = bytes(`
  01 01 00 48  21 12 a4 42  b7 e7 a7 01  bc 34 d6 86  fa 87 df ae
  80 22 00 0b  74 65 73 74  20 76 65 63  74 6f 72 20
  00 20 00 14  00 02 a1 47  01 13 a9 fa  a5 d3 f1 79  bc 25 f4 b5  be d2 b9 d9
  00 08 00 14  a3 82 95 4e  4b e6 7b f1  17 84 c9 7c  82 92 c2 75  bf e3 ed 41
  80 28 00 04  c8 fb 0b 4c`);

const TID = bytes('b7 e7 a7 01 bc 34 d6 86 fa 87 df ae');

describe('RFC 5769 test vectors', () => {
  it('§2.1 sample request: a Binding request whose FINGERPRINT checks', () => {
    const m = Stun.decode(SAMPLE_REQUEST);
    expect(m.method).toBe(STUN_BINDING);
    expect(m.class).toBe('request');
    expect(m.transactionId).toEqual(TID);
    expect(m.fingerprint).toBe(true);
    expect(m.attributes.map((a) => a.type)).toEqual([0x8022, 0x0024, 0x8029, 0x0006, 0x0008]);
    expect(new TextDecoder().decode(m.attributes[0].value)).toBe('STUN test client');
    // USERNAME is 9 bytes, its 3 bytes of padding are not part of the value.
    expect(new TextDecoder().decode(m.attributes[3].value)).toBe('evtj:h6vY');
  });

  it('§2.2 sample IPv4 response: 192.0.2.1 port 32853 from XOR-MAPPED-ADDRESS', () => {
    const m = Stun.decode(IPV4_RESPONSE);
    expect(m.class).toBe('success');
    expect(m.fingerprint).toBe(true);
    expect(Stun.readBindingResponse(m)).toEqual({ kind: 'success', mapped: { family: 4, address: '192.0.2.1', port: 32853 }, xor: true, software: 'test vector' });
  });

  it('§2.3 sample IPv6 response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853', () => {
    const r = Stun.readBindingResponse(Stun.decode(IPV6_RESPONSE));
    expect(r).toEqual({ kind: 'success', mapped: { family: 6, address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 }, xor: true, software: 'test vector' });
  });

  it('our own encoder rebuilds the §2.2 XOR-MAPPED-ADDRESS bytes and a FINGERPRINT that checks', () => {
    const mine = Stun.bindingResponse({ transactionId: TID, mapped: { family: 4, address: '192.0.2.1', port: 32853 }, software: 'test vector' });
    // SOFTWARE (but its padding, which the RFC fills with a space and we with zero) and
    // XOR-MAPPED-ADDRESS are byte for byte the RFC's; the RFC then adds MESSAGE-INTEGRITY.
    expect(Buffer.from(mine.subarray(20, 35)).toString('hex')).toBe(Buffer.from(IPV4_RESPONSE.subarray(20, 35)).toString('hex'));
    expect(Buffer.from(mine.subarray(36, 48)).toString('hex')).toBe(Buffer.from(IPV4_RESPONSE.subarray(36, 48)).toString('hex'));
    expect(Stun.decode(mine).fingerprint).toBe(true);
    const v6 = Stun.bindingResponse({ transactionId: TID, mapped: { family: 6, address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 } });
    expect(Buffer.from(v6.subarray(20, 44)).toString('hex')).toBe(Buffer.from(IPV6_RESPONSE.subarray(36, 60)).toString('hex'));
  });
});

describe('Binding request and answers', () => {
  it('writes a Binding request: type 0x0001, magic cookie, the transaction id, SOFTWARE, FINGERPRINT last', () => {
    const tid = Stun.newTransactionId();
    expect(tid.length).toBe(12);
    const req = Stun.bindingRequest({ transactionId: tid, software: 'Appel' });
    expect(req[0]).toBe(0x00);
    expect(req[1]).toBe(0x01);
    expect(Buffer.from(req.subarray(4, 8)).toString('hex')).toBe('2112a442');
    expect(req.subarray(8, 20)).toEqual(tid);
    expect(req.length % 4).toBe(0);
    expect((req[2] << 8) | req[3]).toBe(req.length - 20);
    const m = Stun.decode(req);
    expect(m).toMatchObject({ method: STUN_BINDING, class: 'request', fingerprint: true });
    expect(m.attributes).toHaveLength(1);
    expect(Stun.isStun(req)).toBe(true);
  });

  it('falls back to MAPPED-ADDRESS (an RFC 3489 server) and prefers XOR-MAPPED-ADDRESS when both come', () => {
    const plain = Stun.bindingResponse({ transactionId: TID, mapped: { family: 4, address: '198.51.100.7', port: 4000 }, xor: false });
    expect(Stun.readBindingResponse(Stun.decode(plain))).toEqual({ kind: 'success', mapped: { family: 4, address: '198.51.100.7', port: 4000 }, xor: false });
    const both = Stun.encode({
      method: STUN_BINDING,
      class: 'success',
      transactionId: TID,
      attributes: [
        { type: StunAttributeType.MAPPED_ADDRESS, value: bytes('00 01 0f a0 c6 33 64 07') },
        { type: StunAttributeType.SOURCE_ADDRESS, value: bytes('00 01 0d 96 7f 00 00 01') },
        ...Stun.decode(IPV4_RESPONSE).attributes.filter((a) => a.type === StunAttributeType.XOR_MAPPED_ADDRESS),
      ],
    });
    expect(Stun.readBindingResponse(Stun.decode(both))).toMatchObject({ mapped: { address: '192.0.2.1', port: 32853 }, xor: true });
  });

  it('reports an error answer in words, with the RFC reason when the server gives none', () => {
    const e = Stun.bindingResponse({ transactionId: TID, error: { code: 420, reason: '' } });
    expect(Stun.readBindingResponse(Stun.decode(e))).toEqual({ kind: 'error', code: 420, reason: 'Unknown Attribute', message: 'the STUN server refused the Binding request: 420 Unknown Attribute' });
    const own = Stun.bindingResponse({ transactionId: TID, error: { code: 401, reason: 'Unauthorized, use TURN credentials' } });
    expect(Stun.readBindingResponse(Stun.decode(own))).toMatchObject({ code: 401, message: 'the STUN server refused the Binding request: 401 Unauthorized, use TURN credentials' });
  });

  it('writes and reads IPv6 addresses in RFC 5952 form (zero runs, IPv4 tails)', () => {
    for (const [given, shown] of [
      ['::1', '::1'],
      ['2001:DB8::', '2001:db8::'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ] as const) {
      const r = Stun.readBindingResponse(Stun.decode(Stun.bindingResponse({ transactionId: TID, mapped: { family: 6, address: given, port: 1 } })));
      expect(r).toMatchObject({ mapped: { family: 6, address: shown } });
    }
    expect(() => Stun.bindingResponse({ transactionId: TID, mapped: { family: 6, address: '1::2::3', port: 1 } })).toThrow(TypeError);
    expect(() => Stun.bindingResponse({ transactionId: TID, mapped: { family: 4, address: '256.0.0.1', port: 1 } })).toThrow(TypeError);
  });

  it('any IPv4 address and port survive the XOR both ways (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), fc.uint8Array({ minLength: 12, maxLength: 12 }), (address, port, tid) => {
        const r = Stun.readBindingResponse(Stun.decode(Stun.bindingResponse({ transactionId: tid, mapped: { family: 4, address, port } })));
        expect(r).toMatchObject({ kind: 'success', mapped: { address: address.split('.').map(Number).join('.'), port } });
      }),
      { numRuns: 200 },
    );
  });
});

describe('demultiplexing (RFC 7983 §7)', () => {
  it('tells STUN (first byte 0-3) from RTP and RTCP (128-191)', () => {
    expect(Stun.isStun(IPV4_RESPONSE)).toBe(true);
    expect(Stun.isStun(bytes('03 00'))).toBe(true);
    expect(Stun.isStun(bytes('80 00 00 01'))).toBe(false);
    expect(Stun.isStun(bytes('81 c8 00 06'))).toBe(false);
    expect(Stun.isStun(bytes('14'))).toBe(false); // DTLS
    expect(Stun.isStun(new Uint8Array(0))).toBe(false);
  });

  it('hasHeader: the §6 header holds (cookie, length), before any attribute is read', () => {
    expect(Stun.hasHeader(IPV4_RESPONSE)).toBe(true);
    expect(Stun.hasHeader(IPV4_RESPONSE.subarray(0, 40))).toBe(false);
    expect(Stun.hasHeader(bytes('01 01 00 00 21 12 a4 43 00 00 00 00 00 00 00 00 00 00 00 00'))).toBe(false);
    expect(Stun.hasHeader(bytes('01 01 00 00 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00'))).toBe(true);
    expect(Stun.hasHeader(bytes('01 01 00 00'))).toBe(false);
  });
});

describe('malformed input is refused in words', () => {
  const decode = (b: Uint8Array) => () => Stun.decode(b);

  it('too short, wrong leading bits, wrong cookie, odd or wrong length', () => {
    expect(decode(IPV4_RESPONSE.subarray(0, 19))).toThrow(/too short \(19 bytes/);
    const rtp = IPV4_RESPONSE.slice();
    rtp[0] = 0x81;
    expect(decode(rtp)).toThrow(/first two bits/);
    const cookie = IPV4_RESPONSE.slice();
    cookie[4] = 0x00;
    expect(decode(cookie)).toThrow(/magic cookie 0x0012a442/);
    const odd = IPV4_RESPONSE.slice();
    odd[3] = 0x3d;
    expect(decode(odd)).toThrow(/not a multiple of 4/);
    expect(decode(IPV4_RESPONSE.subarray(0, IPV4_RESPONSE.length - 4))).toThrow(/does not match/);
  });

  it('an attribute that overruns, a FINGERPRINT that does not match or is not last', () => {
    const over = IPV4_RESPONSE.slice();
    over[22] = 0x01; // SOFTWARE claims 267 bytes
    expect(decode(over)).toThrow(/overruns/);
    const damaged = IPV4_RESPONSE.slice();
    damaged[30] ^= 0x01; // one bit of SOFTWARE
    expect(decode(damaged)).toThrow(StunFormatError);
    expect(decode(damaged)).toThrow(/FINGERPRINT .* does not match/);
    const notLast = Stun.encode({ method: STUN_BINDING, class: 'success', transactionId: TID, attributes: [{ type: StunAttributeType.FINGERPRINT, value: bytes('00 00 00 00') }, { type: 0x8022, value: bytes('41') }] });
    expect(decode(notLast)).toThrow(/FINGERPRINT/);
  });

  it('answers that cannot be used: no address, a bad family, an unknown required attribute, not an answer', () => {
    const empty = Stun.encode({ method: STUN_BINDING, class: 'success', transactionId: TID, fingerprint: true });
    expect(() => Stun.readBindingResponse(Stun.decode(empty))).toThrow(/neither XOR-MAPPED-ADDRESS nor MAPPED-ADDRESS/);
    const family = Stun.encode({ method: STUN_BINDING, class: 'success', transactionId: TID, attributes: [{ type: StunAttributeType.XOR_MAPPED_ADDRESS, value: bytes('00 03 00 00 00 00 00 00') }] });
    expect(() => Stun.readBindingResponse(Stun.decode(family))).toThrow(/address family 0x03/);
    const shortV4 = Stun.encode({ method: STUN_BINDING, class: 'success', transactionId: TID, attributes: [{ type: StunAttributeType.XOR_MAPPED_ADDRESS, value: bytes('00 01 00 00 00 00') }] });
    expect(() => Stun.readBindingResponse(Stun.decode(shortV4))).toThrow(/6 bytes, not 8/);
    const unknown = Stun.encode({ method: STUN_BINDING, class: 'success', transactionId: TID, attributes: [{ type: 0x0031, value: bytes('00 00 00 00') }, ...Stun.decode(IPV4_RESPONSE).attributes] });
    expect(() => Stun.readBindingResponse(Stun.decode(unknown))).toThrow(/comprehension-required attributes we do not know \(0x0031\)/);
    // A comprehension-optional one (RESPONSE-ORIGIN, 0x802b) is fine.
    const optional = Stun.encode({ method: STUN_BINDING, class: 'success', transactionId: TID, attributes: [{ type: 0x802b, value: bytes('00 01 0d 96 7f 00 00 01') }, ...Stun.decode(IPV4_RESPONSE).attributes] });
    expect(Stun.readBindingResponse(Stun.decode(optional))).toMatchObject({ kind: 'success' });
    expect(() => Stun.readBindingResponse(Stun.decode(SAMPLE_REQUEST))).toThrow(/not an answer/);
    const noCode = Stun.encode({ method: STUN_BINDING, class: 'error', transactionId: TID });
    expect(() => Stun.readBindingResponse(Stun.decode(noCode))).toThrow(/ERROR-CODE/);
    const allocate = Stun.encode({ method: 0x003, class: 'success', transactionId: TID, attributes: Stun.decode(IPV4_RESPONSE).attributes });
    expect(() => Stun.readBindingResponse(Stun.decode(allocate))).toThrow(/not Binding/);
  });

  it('random bytes either decode or throw StunFormatError, never anything else (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        try {
          const m = Stun.decode(b);
          try {
            Stun.readBindingResponse(m);
          } catch (err) {
            expect(err).toBeInstanceOf(StunFormatError);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(StunFormatError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
