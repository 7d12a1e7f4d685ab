import { describe, expect, it } from 'vitest';
import { RtpReceiverStats } from '../../../main/media/rtp-receiver-stats.ts';
import { NtpTime } from '../../../main/media/ntp-time.ts';

function feed(stats: RtpReceiverStats, seqs: number[], arrival = (i: number) => i * 20): string[] {
  return seqs.map((seq, i) => stats.update({ sequenceNumber: seq & 0xffff, timestamp: (seq * 160) >>> 0 }, arrival(i)));
}

describe('RtpReceiverStats (RFC 3550 A.1, A.3, A.8)', () => {
  it('keeps a new source on probation until MIN_SEQUENTIAL packets arrive in sequence', () => {
    const stats = new RtpReceiverStats({ ssrc: 1, clockRate: 8000 });
    expect(feed(stats, [100, 102, 103, 104])).toEqual(['probation', 'probation', 'valid', 'valid']);
    expect(stats.received).toBe(2);
    expect(stats.expected).toBe(2);
  });

  it('counts sequence cycles across the 65535 → 0 wrap', () => {
    const stats = new RtpReceiverStats({ ssrc: 1, clockRate: 8000 });
    const seqs = Array.from({ length: 20 }, (_, i) => 65530 + i);
    feed(stats, seqs);
    expect(stats.extendedHighestSequence).toBe(65530 + 19);
    expect(stats.cumulativeLost).toBe(0);
    expect(stats.reportBlock(0).extendedHighestSequence).toBe(0x10000 + ((65530 + 19) & 0xffff));
  });

  it('computes lost and fraction lost per interval (A.3)', () => {
    const stats = new RtpReceiverStats({ ssrc: 1, clockRate: 8000 });
    // 0..99 with every 10th packet missing (after the probation pair).
    const seqs = Array.from({ length: 100 }, (_, i) => i).filter((i) => i < 2 || i % 10 !== 5);
    feed(stats, seqs);
    const first = stats.reportBlock(2000);
    // base_seq = 1 (the packet that ended probation); expected 1..99 = 99, received 89.
    expect(first.cumulativeLost).toBe(10);
    expect(first.fractionLost).toBe(Math.floor((10 * 256) / 99));
    // Next interval without loss: fraction 0, cumulative unchanged.
    feed(stats, Array.from({ length: 50 }, (_, i) => 100 + i));
    const second = stats.reportBlock(3000);
    expect(second.fractionLost).toBe(0);
    expect(second.cumulativeLost).toBe(10);
    expect(stats.lastFractionLost).toBe(0);
  });

  it('counts duplicates as received, so cumulative lost can go negative (A.3)', () => {
    const stats = new RtpReceiverStats({ ssrc: 1, clockRate: 8000 });
    feed(stats, [1, 2, 3, 3, 3, 4]);
    expect(stats.cumulativeLost).toBe(-2);
    expect(stats.reportBlock(0).cumulativeLost).toBe(-2);
  });

  it('resynchronizes after a large jump confirmed by a second packet (A.1)', () => {
    const stats = new RtpReceiverStats({ ssrc: 1, clockRate: 8000 });
    feed(stats, [1, 2, 3]);
    expect(stats.update({ sequenceNumber: 40000, timestamp: 0 }, 100)).toBe('bad-sequence');
    expect(stats.update({ sequenceNumber: 40001, timestamp: 160 }, 120)).toBe('valid');
    expect(stats.expected).toBe(1);
  });

  it('computes interarrival jitter as in A.8 (hand-computed)', () => {
    const stats = new RtpReceiverStats({ ssrc: 1, clockRate: 8000 });
    const arrivals = [0, 20, 45, 60, 80];
    arrivals.forEach((t, i) => stats.update({ sequenceNumber: i, timestamp: i * 160 }, t));
    // D = 0, +40, −40, 0 timestamp units → J = 2.5, 4.84375, 4.541015625.
    expect(stats.jitter).toBeCloseTo(4.541015625, 9);
    expect(stats.jitterMs).toBeCloseTo(4.541015625 / 8, 9);
    expect(stats.reportBlock(100).jitter).toBe(4);
  });

  it('survives the 2^32 timestamp wrap in jitter', () => {
    const stats = new RtpReceiverStats({ ssrc: 1, clockRate: 8000 });
    for (let i = 0; i < 10; i++) stats.update({ sequenceNumber: i, timestamp: (2 ** 32 - 800 + i * 160) >>> 0 }, i * 20);
    expect(stats.jitter).toBeCloseTo(0, 9);
  });

  it('fills LSR and DLSR from the last SR (§6.4.1)', () => {
    const stats = new RtpReceiverStats({ ssrc: 1, clockRate: 8000 });
    stats.onSenderReport({ seconds: 0x12345678, fraction: 0x9abcdef0 }, 0, 1000);
    const b = stats.reportBlock(1500);
    expect(b.lastSr).toBe(0x56789abc);
    expect(b.delaySinceLastSr).toBe(32768);
  });
});

describe('sender time of a timestamp (lip sync, RFC 3550 §6.4.1)', () => {
  it('maps an RTP timestamp through the last SR, across the 32-bit wrap, and says nothing before one', () => {
    const s = new RtpReceiverStats({ ssrc: 1, clockRate: 90000 });
    expect(s.senderTimeOf(1000)).toBeUndefined();
    const wallMs = Date.UTC(2026, 11, 7, 8, 0, 0);
    s.onSenderReport(NtpTime.fromUnixMs(wallMs), 0xffffff00, 0);
    expect(s.senderTimeOf(0xffffff00)).toBeCloseTo(wallMs, 0);
    // 90 000 ticks later (past the wrap) is one second later; 9 000 before is 100 ms earlier.
    expect(s.senderTimeOf((0xffffff00 + 90000) >>> 0)).toBeCloseTo(wallMs + 1000, 0);
    expect(s.senderTimeOf(0xffffff00 - 9000)).toBeCloseTo(wallMs - 100, 0);
  });
});
