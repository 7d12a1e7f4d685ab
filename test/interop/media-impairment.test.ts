/**
 * Two MediaStreams (real native PCMU) through the seeded UDP impairment relay: the stream
 * keeps playing through loss (concealment frames are produced), reports loss within 1.5
 * percentage points of what the relay really dropped, and its jitter estimate (RFC 3550 A.8)
 * grows with the jitter the relay applies. For a uniform extra delay in [0, J] the expected
 * A.8 jitter is E|U1 − U2| = J/3; we accept ±45 % around it (event-loop noise adds ~1 ms).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MediaStream, type MediaStreamStats } from '../../main/media/media-stream.ts';
import type { AudioPort } from '../../main/media/ports/audio-port.ts';
import { SilenceSource } from '../../main/media/ports/silence-source.ts';
import { ToneSource } from '../../main/media/ports/tone-source.ts';
import { peakFrequency } from '../helpers/audio-analysis.ts';
import { UdpImpairmentRelay, type Impairment } from '../helpers/udp-impairment-relay.ts';

class CollectingSink implements AudioPort {
  readonly sampleRate = 8000;
  readonly frames: Int16Array[] = [];
  getFrame(): Int16Array {
    return new Int16Array(160);
  }
  putFrame(frame: Int16Array): void {
    this.frames.push(frame.slice());
  }
  close(): void {}
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function impairedCall(impairment: Impairment, seed: number, seconds: number): Promise<{ stats: MediaStreamStats; relay: UdpImpairmentRelay; sink: CollectingSink }> {
  const sink = new CollectingSink();
  const common = { localAddress: '127.0.0.1', rtcpMux: true, codec: { name: 'pcmu' as const, payloadType: 0 } };
  const bob = new MediaStream({ ...common, remote: { address: '127.0.0.1', rtpPort: 9 }, source: new SilenceSource({ sampleRate: 8000 }), sink });
  await bob.start();
  const relay = await UdpImpairmentRelay.create({ target: { address: '127.0.0.1', port: bob.localPort }, seed, aToB: impairment });
  const alice = new MediaStream({
    ...common,
    remote: { address: '127.0.0.1', rtpPort: relay.portA },
    source: new ToneSource({ sampleRate: 8000, frequencies: [1000], levelDb: -15 }),
    sink: new SilenceSource({ sampleRate: 8000 }),
  });
  await alice.start();
  cleanups.push(async () => {
    await alice.stop();
    await bob.stop();
    await relay.close();
  });
  await sleep(seconds * 1000);
  return { stats: bob.stats(), relay, sink };
}

function tail(sink: CollectingSink, frames: number): Int16Array {
  const parts = sink.frames.slice(-frames);
  const out = new Int16Array(parts.length * 160);
  parts.forEach((f, i) => out.set(f, i * 160));
  return out;
}

describe('MediaStream through an impairing relay', () => {
  it('reports the loss the relay applied, conceals it, and its jitter estimate follows the applied jitter', async () => {
    const [lossy, j0, j30, j60, messy] = await Promise.all([
      impairedCall({ loss: 0.05 }, 1, 6),
      impairedCall({}, 2, 6),
      impairedCall({ jitterMs: 30 }, 3, 6),
      impairedCall({ jitterMs: 60 }, 4, 6),
      impairedCall({ loss: 0.03, duplicate: 0.05, reorder: 0.05, reorderMs: 30, jitterMs: 10 }, 5, 6),
    ]);

    // Loss: the receiver's count (RFC 3550 A.3, network loss only; late packets are counted
    // apart) matches what the relay dropped (RTCP is muxed and may be dropped too).
    const c = lossy.relay.counters.aToB;
    const appliedPercent = (c.dropped / c.received) * 100;
    const reportedPercent = (lossy.stats.packetsLost / (lossy.stats.packetsLost + lossy.stats.packetsReceived)) * 100;
    expect(appliedPercent).toBeGreaterThan(2);
    expect(Math.abs(reportedPercent - appliedPercent)).toBeLessThan(1.5);
    expect(lossy.stats.totalLossPercent).toBeGreaterThanOrEqual(reportedPercent - 0.5);
    expect(lossy.stats.concealedFrames).toBeGreaterThan(0);
    expect(peakFrequency(tail(lossy.sink, 50), 8000)).toBe(1000);
    expect(lossy.stats.mos).toBeLessThan(j0.stats.mos);

    // Jitter: grows with the applied jitter, around J/3.
    const jitters = [j0, j30, j60].map((r) => r.stats.jitterMs);
    console.log(`A.8 jitter for applied 0/30/60 ms: ${jitters.map((j) => j.toFixed(1)).join(' / ')} ms; jitter buffer ${[j0, j30, j60].map((r) => r.stats.jitterBufferMs.toFixed(0)).join(' / ')} ms; loss applied ${appliedPercent.toFixed(2)} % reported ${reportedPercent.toFixed(2)} % (with late packets ${lossy.stats.totalLossPercent.toFixed(2)} %)`);
    // A busy machine adds its own scheduling jitter (the 0 ms case measures it): allowed on top.
    const base = jitters[0];
    expect(base).toBeLessThan(6);
    expect(jitters[1]).toBeGreaterThan(base + 3);
    expect(jitters[2]).toBeGreaterThan(jitters[1] + 3);
    expect(jitters[1]).toBeGreaterThan(10 * 0.55);
    expect(jitters[1]).toBeLessThan(10 * 1.45 + base + 1);
    expect(jitters[2]).toBeGreaterThan(20 * 0.55);
    expect(jitters[2]).toBeLessThan(20 * 1.45 + base + 1);
    // The jitter buffer grew to absorb it (98th percentile of a 0–60 ms spread ≈ 59 ms, i.e.
    // ~30 ms above the mean transit), and the tone still plays.
    expect(j60.stats.jitterBufferMs).toBeGreaterThan(25);
    expect(peakFrequency(tail(j60.sink, 50), 8000)).toBe(1000);

    // Loss + duplicates + reordering at once: still playing, nothing counted twice as received.
    expect(peakFrequency(tail(messy.sink, 50), 8000)).toBe(1000);
    const m = messy.relay.counters.aToB;
    expect(messy.stats.packetsLost).toBeLessThanOrEqual(m.dropped);
    expect(messy.stats.concealedFrames).toBeGreaterThan(0);
  });
});
