import { describe, expect, it } from 'vitest';
import { RtcpFormatError, RtcpPacket, SDES_CNAME, type RtcpPacket as Rtcp } from '../../../main/media/rtcp-packet.ts';
import { NtpTime } from '../../../main/media/ntp-time.ts';
import { RtpPacket } from '../../../main/media/rtp-packet.ts';

const block = { ssrc: 0x11223344, fractionLost: 64, cumulativeLost: -3, extendedHighestSequence: 0x0001fffe, jitter: 123, lastSr: 0xabcd1234, delaySinceLastSr: 65536 };

describe('RtcpPacket (RFC 3550 §6)', () => {
  it('round-trips a compound SR + SDES CNAME + BYE (§6.1)', () => {
    const packets: Rtcp[] = [
      { type: 'sr', ssrc: 0xcafebabe, ntp: { seconds: 3900000000, fraction: 0x80000000 }, rtpTimestamp: 0xfffffff0, packetCount: 10, octetCount: 1600, reports: [block] },
      { type: 'sdes', chunks: [{ ssrc: 0xcafebabe, items: new Map([[SDES_CNAME, 'appel@127.0.0.1']]) }] },
      { type: 'bye', ssrcs: [0xcafebabe], reason: 'hangup' },
    ];
    const bytes = RtcpPacket.encodeCompound(packets);
    expect(bytes.length % 4).toBe(0);
    expect(RtcpPacket.decodeCompound(bytes)).toEqual(packets);
  });

  it('round-trips an RR with the negative cumulative loss in 24 bits', () => {
    const rr: Rtcp = { type: 'rr', ssrc: 7, reports: [block, { ...block, ssrc: 8, cumulativeLost: 0x7fffff }] };
    const bytes = RtcpPacket.encodeCompound([rr]);
    expect(bytes.length).toBe(8 + 48);
    expect(bytes[13]).toBe(0xff); // -3 → 0xfffffd
    expect(RtcpPacket.decodeCompound(bytes)).toEqual([rr]);
  });

  it('pads SDES chunks so that the item list ends with a null octet on a 32-bit boundary', () => {
    for (const cname of ['', 'a', 'ab', 'abc', 'abcd']) {
      const bytes = RtcpPacket.encodeCompound([{ type: 'rr', ssrc: 1, reports: [] }, { type: 'sdes', chunks: [{ ssrc: 2, items: new Map([[SDES_CNAME, cname]]) }] }]);
      expect(bytes.length % 4).toBe(0);
      const [, sdes] = RtcpPacket.decodeCompound(bytes);
      expect(sdes).toEqual({ type: 'sdes', chunks: [{ ssrc: 2, items: new Map([[SDES_CNAME, cname]]) }] });
    }
  });

  it('applies the A.2 validity checks', () => {
    const rr = RtcpPacket.encodeCompound([{ type: 'rr', ssrc: 1, reports: [] }]);
    const v1 = rr.slice();
    v1[0] = 0x40;
    expect(() => RtcpPacket.decodeCompound(v1)).toThrow(RtcpFormatError);
    const long = rr.slice();
    long[3] = 5;
    expect(() => RtcpPacket.decodeCompound(long)).toThrow(/overruns/);
    const bye = RtcpPacket.encodeCompound([{ type: 'bye', ssrcs: [1] }]);
    expect(() => RtcpPacket.decodeCompound(bye)).toThrow(/start with SR or RR/);
    const short = RtcpPacket.encodeCompound([{ type: 'rr', ssrc: 1, reports: [] }]);
    short[0] = 0x81; // claims one report block
    expect(() => RtcpPacket.decodeCompound(short)).toThrow(/too short/);
  });

  it('keeps unknown packet types as raw bytes', () => {
    const app = Uint8Array.of(0x80, 204, 0, 2, 0, 0, 0, 1, 0x41, 0x42, 0x43, 0x44);
    const rr = RtcpPacket.encodeCompound([{ type: 'rr', ssrc: 1, reports: [] }]);
    const both = new Uint8Array([...rr, ...app]);
    const [, other] = RtcpPacket.decodeCompound(both);
    expect(other).toEqual({ type: 'other', packetType: 204, bytes: app });
  });

  it('demultiplexes RTP and RTCP on one port by PT 64–95 (RFC 5761 §4)', () => {
    expect(RtcpPacket.isRtcp(RtcpPacket.encodeCompound([{ type: 'rr', ssrc: 1, reports: [] }]))).toBe(true);
    for (const pt of [0, 8, 9, 13, 96, 101, 111, 127]) {
      for (const marker of [false, true]) {
        const rtp = RtpPacket.encode({ payloadType: pt, marker, sequenceNumber: 1, timestamp: 1, ssrc: 1, csrcs: [], payload: new Uint8Array(4) });
        expect(RtcpPacket.isRtcp(rtp)).toBe(false);
      }
    }
    // SR (200) = marker + PT 72, BYE (203) = marker + PT 75: RTCP.
    expect(RtcpPacket.isRtcp(Uint8Array.of(0x80, 203, 0, 1, 0, 0, 0, 1))).toBe(true);
  });
});

describe('NtpTime (RFC 3550 §4, §6.4.1)', () => {
  it('converts Unix time and takes the middle 32 bits', () => {
    const ntp = NtpTime.fromUnixMs(1_000_500); // 1000.5 s after 1970
    expect(ntp.seconds).toBe(2_208_988_800 + 1000);
    expect(ntp.fraction).toBe(2 ** 31);
    expect(NtpTime.compact(ntp)).toBe((((2_208_988_800 + 1000) & 0xffff) * 65536 + 0x8000) >>> 0);
  });

  it('computes RTT = A − LSR − DLSR (§6.4.1 example: 5.250 − 5.000 − 0.125 s)', () => {
    // The RFC's worked example in compact units: A = 0xb710:8000, LSR = 0xb705:2000, DLSR = 0x0005:4000.
    const arrival = { seconds: 0xb710, fraction: 0x80000000 };
    const rtt = NtpTime.roundTripMs({ lastSr: 0xb7052000, delaySinceLastSr: 0x00054000 }, arrival);
    expect(rtt).toBeCloseTo(((0xb7108000 - 0xb7052000 - 0x54000) / 65536) * 1000, 6);
    expect(NtpTime.roundTripMs({ lastSr: 0, delaySinceLastSr: 0 }, arrival)).toBeUndefined();
  });
});
