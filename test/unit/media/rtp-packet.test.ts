import { describe, expect, it } from 'vitest';
import { RtpFormatError, RtpPacket } from '../../../main/media/rtp-packet.ts';

describe('RtpPacket (RFC 3550 §5.1)', () => {
  it('round-trips every header field', () => {
    const packet = { payloadType: 111, marker: true, sequenceNumber: 65535, timestamp: 0xffffffff, ssrc: 0xdeadbeef, csrcs: [1, 0xffffffff], payload: Uint8Array.of(1, 2, 3) };
    const bytes = RtpPacket.encode(packet);
    expect(bytes.length).toBe(12 + 8 + 3);
    expect(bytes[0]).toBe(0x82);
    expect(bytes[1]).toBe(0x80 | 111);
    const back = RtpPacket.decode(bytes);
    expect(back).toEqual(packet);
  });

  it('masks sequence and timestamp into 16 and 32 bits (wrap 65535→0, 2^32→0)', () => {
    const bytes = RtpPacket.encode({ payloadType: 0, marker: false, sequenceNumber: 65536, timestamp: 2 ** 32 + 5, ssrc: 1, csrcs: [], payload: new Uint8Array(0) });
    const back = RtpPacket.decode(bytes);
    expect(back.sequenceNumber).toBe(0);
    expect(back.timestamp).toBe(5);
  });

  it('skips a header extension (§5.3.1) and strips padding', () => {
    const payload = Uint8Array.of(9, 8, 7);
    const bytes = new Uint8Array(12 + 4 + 8 + 3 + 4);
    bytes[0] = 0x80 | 0x20 | 0x10; // V=2, P, X
    bytes[1] = 8;
    new DataView(bytes.buffer).setUint16(14, 2); // two words of extension
    bytes.set(payload, 24);
    bytes[bytes.length - 1] = 4; // four padding octets
    const back = RtpPacket.decode(bytes);
    expect(back.payloadType).toBe(8);
    expect([...back.payload]).toEqual([9, 8, 7]);
  });

  it('rejects a bad version, a short packet and overrunning lengths', () => {
    const good = RtpPacket.encode({ payloadType: 0, marker: false, sequenceNumber: 1, timestamp: 1, ssrc: 1, csrcs: [], payload: Uint8Array.of(1) });
    const v1 = good.slice();
    v1[0] = 0x40;
    expect(() => RtpPacket.decode(v1)).toThrow(RtpFormatError);
    expect(() => RtpPacket.decode(good.subarray(0, 11))).toThrow(/too short/);
    const cc = good.slice();
    cc[0] = 0x8f; // 15 CSRCs in a 13-byte packet
    expect(() => RtpPacket.decode(cc)).toThrow(/CSRC/);
    const ext = good.slice();
    ext[0] = 0x90;
    expect(() => RtpPacket.decode(ext)).toThrow(/extension/);
    const pad = good.slice();
    pad[0] = 0xa0;
    pad[12] = 200;
    expect(() => RtpPacket.decode(pad)).toThrow(/padding/);
  });
});
