/**
 * RTCP feedback (RFC 4585 §6, RFC 5104 §4.2-4.3): each message round-trips through a compound
 * packet after an RR, with the wire layout the RFCs give, and malformed ones are refused.
 */
import { describe, expect, it } from 'vitest';
import { RtcpFormatError, RtcpPacket, type OtherRtcp } from '../../../main/media/rtcp-packet.ts';
import { decodeFeedback, encodeFeedback, type Feedback } from '../../../main/media/video/rtcp-feedback.ts';

function roundTrip(fb: Feedback): Feedback | undefined {
  const rr = RtcpPacket.encodeCompound([{ type: 'rr', ssrc: fb.sender, reports: [] }]);
  const bytes = new Uint8Array([...rr, ...encodeFeedback(fb)]);
  const [, other] = RtcpPacket.decodeCompound(bytes);
  return decodeFeedback(other as OtherRtcp);
}

describe('RTCP feedback', () => {
  it('a generic NACK packs 17 sequence numbers per word (PID + BLP) and reads them back, across the wrap', () => {
    const lost = [65534, 65535, 0, 5, 15, 40];
    const bytes = encodeFeedback({ kind: 'nack', sender: 1, media: 2, lost });
    expect(bytes[0]).toBe(0x81); // V=2, FMT 1
    expect(bytes[1]).toBe(205);
    // 65534 with BLP bits for 65535, 0, 5, 15 (+1, +2, +7, +17 → 17 is out: a new word), then 15, then 40.
    expect(bytes.length).toBe(12 + 4 * 3);
    expect(roundTrip({ kind: 'nack', sender: 1, media: 2, lost })).toEqual({ kind: 'nack', sender: 1, media: 2, lost });
  });

  it('PLI has no FCI; FIR names the source and a command sequence number with media SSRC 0', () => {
    expect(encodeFeedback({ kind: 'pli', sender: 7, media: 9 })).toEqual(new Uint8Array([0x81, 206, 0, 2, 0, 0, 0, 7, 0, 0, 0, 9]));
    expect(roundTrip({ kind: 'pli', sender: 7, media: 9 })).toEqual({ kind: 'pli', sender: 7, media: 9 });
    const fir = encodeFeedback({ kind: 'fir', sender: 7, requests: [{ ssrc: 9, seq: 3 }] });
    expect([...fir.subarray(0, 2), ...fir.subarray(8, 12)]).toEqual([0x84, 206, 0, 0, 0, 0]);
    expect(roundTrip({ kind: 'fir', sender: 7, requests: [{ ssrc: 9, seq: 3 }] })).toEqual({ kind: 'fir', sender: 7, requests: [{ ssrc: 9, seq: 3 }] });
  });

  it('TMMBR carries a bit rate as exponent and mantissa (exact up to 17 bits of precision)', () => {
    const back = roundTrip({ kind: 'tmmbr', sender: 1, entries: [{ ssrc: 9, bitrate: 512_000, overhead: 40 }] });
    expect(back).toEqual({ kind: 'tmmbr', sender: 1, entries: [{ ssrc: 9, bitrate: 512_000, overhead: 40 }] });
    const big = roundTrip({ kind: 'tmmbn', sender: 1, entries: [{ ssrc: 9, bitrate: 2_500_001, overhead: 0 }] });
    expect(big?.kind).toBe('tmmbn');
    const rate = (big as { entries: Array<{ bitrate: number }> }).entries[0].bitrate;
    expect(Math.abs(rate - 2_500_001) / 2_500_001).toBeLessThan(1 / 2 ** 16);
  });

  it('refuses an FCI that is not whole entries, and passes over feedback it does not read', () => {
    const bad = encodeFeedback({ kind: 'fir', sender: 7, requests: [{ ssrc: 9, seq: 3 }] }).subarray(0, 16);
    const broken = new Uint8Array(bad);
    broken[3] = 3; // length: 16 bytes
    expect(() => decodeFeedback({ type: 'other', packetType: 206, bytes: broken })).toThrow(RtcpFormatError);
    const remb = new Uint8Array([0x8f, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0]); // FMT 15: application layer
    expect(decodeFeedback({ type: 'other', packetType: 206, bytes: remb })).toBeUndefined();
  });
});
