import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JitterBuffer, type JitterBufferFrame, type JitterBufferPacket } from '../../../main/media/jitter-buffer.ts';

const FRAME_TS = 160; // 20 ms at 8 kHz

function packet(i: number, extra: Partial<JitterBufferPacket> = {}): JitterBufferPacket {
  return { sequenceNumber: (1000 + i) & 0xffff, timestamp: (5000 + i * FRAME_TS) >>> 0, ssrc: 42, payload: Uint8Array.of(i & 0xff), ...extra };
}

/** A simulated call: packets sent every 20 ms, arrival = send + delay(i); pops every 20 ms. */
function simulate(opts: {
  jb: JitterBuffer;
  frames: number;
  delay?: (i: number) => number;
  drop?: (i: number) => boolean;
  dup?: (i: number) => boolean;
  /** Sender frame period in ms (drift: 19.9 = sender clock 0.5 % fast). */
  sendPeriodMs?: number;
  make?: (i: number) => JitterBufferPacket;
}): JitterBufferFrame[] {
  const period = opts.sendPeriodMs ?? 20;
  const events: { t: number; p: JitterBufferPacket }[] = [];
  for (let i = 0; i < opts.frames; i++) {
    if (opts.drop?.(i)) continue;
    const t = i * period + (opts.delay?.(i) ?? 5);
    const p = (opts.make ?? packet)(i);
    events.push({ t, p });
    if (opts.dup?.(i)) events.push({ t: t + 1, p });
  }
  events.sort((a, b) => a.t - b.t);
  const out: JitterBufferFrame[] = [];
  let e = 0;
  const end = opts.frames * period + 1000;
  for (let now = 3; now < end; now += 20) {
    while (e < events.length && events[e].t <= now) opts.jb.push(events[e].p, events[e++].t);
    out.push(opts.jb.pop(now));
  }
  return out;
}

function playedIndexes(frames: JitterBufferFrame[]): number[] {
  return frames.filter((f) => f.kind === 'frame').map((f) => (f.kind === 'frame' ? (f.timestamp - 5000) / FRAME_TS : -1));
}

describe('JitterBuffer', () => {
  it('plays an even stream in order after the initial delay, then silence when it ends', () => {
    const jb = new JitterBuffer({ clockRate: 8000 });
    const frames = simulate({ jb, frames: 100 });
    expect(frames[0].kind).toBe('silence');
    const played = playedIndexes(frames);
    for (let k = 1; k < played.length; k++) expect(played[k]).toBeGreaterThan(played[k - 1]);
    expect(played.at(-1)).toBe(99);
    // The initial 40 ms were more than needed: at most one frame dropped to settle.
    expect(jb.stats.dropped).toBeLessThanOrEqual(1);
    expect(jb.stats.played + jb.stats.dropped).toBe(100);
    expect(jb.stats.concealed).toBeLessThanOrEqual(5); // the tail: concealment then silence
    expect(frames.at(-1)!.kind).toBe('silence');
    expect(jb.delayMs).toBeLessThan(30);
  });

  it('puts reordered packets back in order and drops duplicates', () => {
    const jb = new JitterBuffer({ clockRate: 8000, initialDelayMs: 60 });
    // Swap every pair (i even arrives 25 ms late) and duplicate every 7th packet.
    const frames = simulate({ jb, frames: 200, delay: (i) => (i % 2 === 0 ? 28 : 3), dup: (i) => i % 7 === 0 });
    const played = playedIndexes(frames);
    for (let k = 1; k < played.length; k++) expect(played[k]).toBeGreaterThan(played[k - 1]);
    expect(jb.stats.duplicates).toBe(Math.ceil(200 / 7));
    expect(jb.stats.played + jb.stats.dropped + jb.stats.late).toBeGreaterThanOrEqual(198);
    expect(jb.stats.late).toBeLessThanOrEqual(2);
  });

  it('conceals single losses and offers the next payload as FEC', () => {
    const jb = new JitterBuffer({ clockRate: 8000, initialDelayMs: 60 });
    const frames = simulate({ jb, frames: 100, drop: (i) => i === 50 });
    const k = frames.findIndex((f) => f.kind === 'plc');
    expect(k).toBeGreaterThan(0);
    const plc = frames[k];
    expect(plc.kind === 'plc' && plc.fec ? [...plc.fec] : []).toEqual([51]);
    expect(frames[k - 1].kind === 'frame' && (frames[k - 1] as { timestamp: number }).timestamp).toBe(5000 + 49 * FRAME_TS);
    expect(jb.stats.fec).toBe(1);
  });

  it('conceals a loss burst frame by frame and resumes on time', () => {
    const jb = new JitterBuffer({ clockRate: 8000, initialDelayMs: 60 });
    const frames = simulate({ jb, frames: 150, drop: (i) => i >= 60 && i < 66 });
    const start = frames.findIndex((f) => f.kind === 'plc');
    // 100 ms of concealment (maxConcealMs), then silence until the stream is back.
    expect(frames.slice(start, start + 5).map((f) => f.kind)).toEqual(['plc', 'plc', 'plc', 'plc', 'plc']);
    expect(['plc', 'silence']).toContain(frames[start + 5].kind);
    // Only the last lost frame is directly before a received one: at most one FEC chance.
    expect(frames.slice(start, start + 6).filter((f) => f.kind === 'plc' && f.fec).length).toBeLessThanOrEqual(1);
    const resumed = frames[start + 6];
    expect(resumed.kind === 'frame' && resumed.payload[0]).toBe(66);
  });

  it('grows its delay quickly with jitter and shrinks it slowly when calm', () => {
    // Seeded pseudo-random jitter: uniform 0..80 ms for 10 s, then 0 for 30 s.
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const jb = new JitterBuffer({ clockRate: 8000, initialDelayMs: 20 });
    const samples: { t: number; delay: number }[] = [];
    const jitterFrames = 500;
    const delays = Array.from({ length: 2000 }, (_, i) => (i < jitterFrames ? rnd() * 80 : 0));
    const events = delays.map((d, i) => ({ t: i * 20 + d, p: packet(i) })).sort((a, b) => a.t - b.t);
    let e = 0;
    for (let now = 3; now < 2000 * 20; now += 20) {
      while (e < events.length && events[e].t <= now) jb.push(events[e].p, events[e++].t);
      jb.pop(now);
      samples.push({ t: now, delay: jb.targetDelayMs });
    }
    const at = (ms: number): number => samples.find((s) => s.t >= ms)!.delay;
    expect(at(3000)).toBeGreaterThan(60); // grown to cover ~95 % of an 80 ms spread
    // After the jitter stops, the target stays up for the measurement window, then falls.
    expect(at(11_000)).toBeGreaterThan(60);
    expect(at(30_000)).toBeLessThan(20);
    // Late losses stayed low while jitter was on (95th percentile target).
    expect(jb.stats.late).toBeLessThan(jitterFrames * 0.08);
    // The actual delay followed the target down: frames were dropped, one at a time.
    expect(jb.delayMs).toBeLessThan(40);
  });

  it('absorbs clock drift: a sender 1 % fast makes it drop frames, 1 % slow insert frames', () => {
    const fast = new JitterBuffer({ clockRate: 8000 });
    simulate({ jb: fast, frames: 3000, sendPeriodMs: 19.8 });
    expect(fast.stats.dropped).toBeGreaterThanOrEqual(25); // ~1 % of 3000 = 30 frames
    expect(fast.stats.dropped).toBeLessThanOrEqual(40);
    expect(fast.stats.late).toBe(0);

    const slow = new JitterBuffer({ clockRate: 8000 });
    const frames = simulate({ jb: slow, frames: 3000, sendPeriodMs: 20.2 });
    expect(slow.stats.inserted).toBeGreaterThanOrEqual(25);
    expect(slow.stats.inserted).toBeLessThanOrEqual(40);
    expect(slow.stats.late).toBeLessThanOrEqual(2);
    expect(playedIndexes(frames).length).toBeGreaterThanOrEqual(2990);
  });

  it('handles the timestamp wrap at 2^32 and the sequence wrap without a glitch', () => {
    const jb = new JitterBuffer({ clockRate: 8000 });
    const frames = simulate({ jb, frames: 100, make: (i) => ({ sequenceNumber: (65500 + i) & 0xffff, timestamp: (2 ** 32 - 50 * FRAME_TS + i * FRAME_TS) >>> 0, ssrc: 1, payload: Uint8Array.of(i) }) });
    const played = frames.filter((f) => f.kind === 'frame').map((f) => (f.kind === 'frame' ? f.payload[0] : -1));
    for (let k = 1; k < played.length; k++) expect(played[k]).toBe(played[k - 1] + 1);
    expect(jb.stats.resets).toBe(0);
    expect(jb.stats.played + jb.stats.dropped).toBe(100);
  });

  it('resets on a timestamp jump and on a new SSRC', () => {
    const jb = new JitterBuffer({ clockRate: 8000 });
    const frames = simulate({
      jb,
      frames: 200,
      make: (i) => {
        if (i < 100) return packet(i);
        if (i < 150) return { ...packet(i), timestamp: (packet(i).timestamp + 8000 * 60) >>> 0 }; // +60 s jump
        return { ...packet(i), ssrc: 43, sequenceNumber: i };
      },
    });
    expect(jb.stats.resets).toBe(2);
    // Audio keeps flowing after each reset (a short re-buffering gap at most).
    expect(jb.stats.played + jb.stats.dropped).toBeGreaterThanOrEqual(195);
    expect(frames.filter((f) => f.kind === 'silence').length).toBeLessThan(60);
  });

  it('plays comfort noise (RFC 3389) from a CN packet until speech resumes, with no concealment', () => {
    const jb = new JitterBuffer({ clockRate: 8000, initialDelayMs: 40 });
    // Speech 0..49, CN at 50 (level 60), nothing 51..99, speech from 100.
    const frames = simulate({
      jb,
      frames: 150,
      drop: (i) => i > 50 && i < 100,
      make: (i) => (i === 50 ? { ...packet(i), payload: Uint8Array.of(60), comfortNoise: true } : packet(i)),
    });
    const cn = frames.filter((f) => f.kind === 'cn');
    expect(cn.length).toBeGreaterThanOrEqual(48);
    expect(cn.every((f) => f.kind === 'cn' && f.level === 60)).toBe(true);
    const firstCn = frames.findIndex((f) => f.kind === 'cn');
    const lastCn = frames.findLastIndex((f) => f.kind === 'cn');
    expect(frames.slice(firstCn, lastCn).every((f) => f.kind === 'cn')).toBe(true);
    expect(frames[lastCn + 1].kind).toBe('frame');
    expect(jb.stats.concealed).toBeLessThanOrEqual(5); // only the tail of the stream
  });

  it('drops packets that arrive after their slot as late', () => {
    const jb = new JitterBuffer({ clockRate: 8000, initialDelayMs: 20 });
    simulate({ jb, frames: 100, delay: (i) => (i === 60 ? 300 : 5) });
    expect(jb.stats.late).toBe(1);
  });

  it('aims at the 98th percentile of the transit window, as a plain sort of the window says, however packets come and go', () => {
    // The buffer keeps its window sorted incrementally; this oracle sorts it afresh every time.
    const windowMs = 400;
    fc.assert(
      fc.property(fc.array(fc.record({ delay: fc.integer({ min: 0, max: 150 }), pop: fc.boolean() }), { minLength: 1, maxLength: 150, size: 'max' }), (steps) => {
        const jb = new JitterBuffer({ clockRate: 8000, windowMs, jumpMs: 60_000 });
        let window: { arrivalMs: number; transitMs: number }[] = [];
        const cut = (nowMs: number): void => {
          let n = 0;
          while (n < window.length - 1 && window[n].arrivalMs < nowMs - windowMs) n++;
          window = window.slice(n);
        };
        const target = (): number => {
          const sorted = window.map((w) => w.transitMs).sort((a, b) => a - b);
          const p = sorted[Math.min(sorted.length - 1, Math.floor(0.98 * sorted.length))];
          return Math.min(sorted[0] + 400, Math.max(sorted[0] + 10, p + 5));
        };
        // Packet i is sent at i × 20 ms and arrives `delay` later: reordered, in arrival order.
        const arrivals = steps.map((step, i) => ({ i, at: i * 20 + step.delay, pop: step.pop })).sort((a, b) => a.at - b.at || a.i - b.i);
        for (const { i, at, pop } of arrivals) {
          jb.push(packet(i), at);
          window.push({ arrivalMs: at, transitMs: at - i * 20 });
          const min = Math.min(...window.map((w) => w.transitMs));
          cut(at);
          expect(jb.targetDelayMs).toBeCloseTo(target() - min, 9);
          if (pop) jb.pop(at); // after the check: its own cut at `at` has nothing left to do
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('JitterBuffer.playingTimestamp (lip sync)', () => {
  it('is undefined until playing, then the RTP timestamp right after the frame just played, across the 32-bit wrap', () => {
    const jb = new JitterBuffer({ clockRate: 8000 });
    expect(jb.playingTimestamp).toBeUndefined();
    const base = 0xffffffff - 2 * FRAME_TS;
    for (let i = 0; i < 6; i++) jb.push({ sequenceNumber: i, timestamp: (base + i * FRAME_TS) >>> 0, ssrc: 1, payload: new Uint8Array(10) }, i * 20);
    let t = 100;
    const seen: number[] = [];
    for (let k = 0; k < 5; k++) {
      const f = jb.pop((t += 20));
      expect(f.kind).toBe('frame');
      if (f.kind !== 'frame') return;
      seen.push(f.timestamp);
      expect(jb.playingTimestamp).toBe((f.timestamp + FRAME_TS) >>> 0);
    }
    // Consecutive frames, through the wrap (the buffer may start past the oldest to meet its target).
    expect(seen.slice(1)).toEqual(seen.slice(0, -1).map((ts) => (ts + FRAME_TS) >>> 0));
    expect(seen.some((ts) => ts < base)).toBe(true);
  });
});
