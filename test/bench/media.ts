// Benchmark of the media engine (main/media): per codec,
//   - CPU: one call's full path at one end — device-rate source (48 kHz) → resampler → encode →
//     RTP → SRTP → UDP loopback → SRTP → RTP → jitter buffer → decode → resampler → sink — for
//     SECONDS simulated seconds without real-time pacing (a manual media clock), as % of one core
//     (process.cpuUsage over the simulated duration; two endpoints run, the figure is per end);
//   - latency: source port → sink port across loopback at steady state with the real clock,
//     jitter buffer included, from the onset of a tone burst (median of BURSTS bursts);
// and capacity: one media worker carrying N simultaneous PCMU calls echoed back, CPU per frame
// and the jitter the streams report (lab/media-capacity.ts).
//
//   node_modules/.bin/node test/bench/media.ts      prints both tables
//   node_modules/.bin/node test/bench/media.ts capacity [--streams 100,200] [--seconds 10]
//        [--impl DIR] [--json]                      capacity only; DIR: another main/media (A/B)
//   import { run } from './media.ts'                 returns the codec rows
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodecName } from '../../native/index.ts';
import { loadMediaNative } from '../../main/media/media-native.ts';
import { MediaStream } from '../../main/media/media-stream.ts';
import type { Scheduler } from '../../main/media/media-clock.ts';
import type { AudioPort } from '../../main/media/ports/audio-port.ts';
import { SilenceSource } from '../../main/media/ports/silence-source.ts';
import { ToneSource } from '../../main/media/ports/tone-source.ts';
import { capacityRun, formatCapacity, type CapacityRow } from './lab/media-capacity.ts';

export interface MediaBenchRow {
  codec: CodecName;
  /** % of one core for one end of a call (send + receive), SRTP on. */
  cpuPercent: number;
  /** Median source → sink latency across loopback at steady state (ms), SRTP on. */
  latencyMs: number;
  /** Jitter-buffer delay reported by the stream at that time (ms). */
  jitterBufferMs: number;
}

const CODECS: { name: CodecName; payloadType: number }[] = [
  { name: 'pcmu', payloadType: 0 },
  { name: 'pcma', payloadType: 8 },
  { name: 'g722', payloadType: 9 },
  { name: 'gsm', payloadType: 3 },
  { name: 'g729', payloadType: 18 },
  { name: 'opus', payloadType: 111 },
];
const SECONDS = 20;
const BURSTS = 5;
const DEVICE_RATE = 48000;

/** A manual clock for the CPU run. */
class ManualScheduler implements Scheduler {
  #now = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #id = 0;
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.#timers.set(++this.#id, { at: this.#now + ms, fn });
    return this.#id;
  }
  clearTimeout(h: unknown): void {
    this.#timers.delete(h as number);
  }
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].fn();
    }
    this.#now = end;
  }
}

function keys(): { a: Uint8Array; b: Uint8Array } {
  return { a: new Uint8Array(randomBytes(30)), b: new Uint8Array(randomBytes(30)) };
}

async function pair(codec: { name: CodecName; payloadType: number }, ports: { aSource: AudioPort; aSink: AudioPort; bSource: AudioPort; bSink: AudioPort }, scheduler?: Scheduler): Promise<{ a: MediaStream; b: MediaStream }> {
  const native = await loadMediaNative();
  const k = keys();
  const common = { localAddress: '127.0.0.1', rtcpMux: true, codec, native, ...(scheduler ? { scheduler } : {}) };
  const suite = 'AES_CM_128_HMAC_SHA1_80' as const;
  const a = new MediaStream({ ...common, remote: { address: '127.0.0.1', rtpPort: 9 }, source: ports.aSource, sink: ports.aSink, srtp: { suite, localKey: k.a, remoteKey: k.b } });
  const b = new MediaStream({ ...common, remote: { address: '127.0.0.1', rtpPort: 9 }, source: ports.bSource, sink: ports.bSink, srtp: { suite, localKey: k.b, remoteKey: k.a } });
  await a.start();
  await b.start();
  a.updateRemote({ address: '127.0.0.1', rtpPort: b.localPort });
  b.updateRemote({ address: '127.0.0.1', rtpPort: a.localPort });
  return { a, b };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

async function cpu(codec: { name: CodecName; payloadType: number }): Promise<number> {
  const sched = new ManualScheduler();
  const tone = (f: number): ToneSource => new ToneSource({ sampleRate: DEVICE_RATE, frequencies: [f, f * 1.5], levelDb: -20 });
  const { a, b } = await pair(codec, { aSource: tone(440), aSink: new SilenceSource({ sampleRate: DEVICE_RATE }), bSource: tone(300), bSink: new SilenceSource({ sampleRate: DEVICE_RATE }) }, sched);
  // Warm up one second, then measure.
  for (let i = 0; i < 50; i++) {
    sched.advance(20);
    await settle();
  }
  const start = process.cpuUsage();
  for (let i = 0; i < SECONDS * 50; i++) {
    sched.advance(20);
    await settle();
  }
  const used = process.cpuUsage(start);
  await a.stop();
  await b.stop();
  const cpuMs = (used.user + used.system) / 1000;
  return (cpuMs / (SECONDS * 1000) / 2) * 100; // two ends ran
}

/** A source that plays silence, then a tone burst of 200 ms every second, noting each onset. */
class BurstSource implements AudioPort {
  readonly sampleRate = DEVICE_RATE;
  readonly onsets: number[] = [];
  #frame = 0;
  #tone = new ToneSource({ sampleRate: DEVICE_RATE, frequencies: [1000], levelDb: -10 });
  getFrame(): Int16Array {
    const k = this.#frame++;
    if (k % 50 < 10 && k >= 100) {
      if (k % 50 === 0) this.onsets.push(performance.now());
      return this.#tone.getFrame();
    }
    return new Int16Array(DEVICE_RATE / 50);
  }
  putFrame(): void {}
  close(): void {}
}

/** A sink noting when each burst starts playing (frame time + position of the onset in the frame). */
class OnsetSink implements AudioPort {
  readonly sampleRate = DEVICE_RATE;
  readonly onsets: number[] = [];
  #loud = false;
  getFrame(): Int16Array {
    return new Int16Array(DEVICE_RATE / 50);
  }
  putFrame(frame: Int16Array): void {
    const now = performance.now();
    let first = -1;
    for (let i = 0; i < frame.length; i++) {
      if (Math.abs(frame[i]) > 2000) {
        first = i;
        break;
      }
    }
    if (first >= 0 && !this.#loud) this.onsets.push(now + (first * 1000) / DEVICE_RATE);
    // Quiet again after a frame with nothing loud in it.
    this.#loud = first >= 0;
  }
  close(): void {}
}

async function latency(codec: { name: CodecName; payloadType: number }): Promise<{ latencyMs: number; jitterBufferMs: number }> {
  const source = new BurstSource();
  const sink = new OnsetSink();
  const { a, b } = await pair(codec, { aSource: source, aSink: new SilenceSource({ sampleRate: DEVICE_RATE }), bSource: new SilenceSource({ sampleRate: DEVICE_RATE }), bSink: sink });
  await new Promise((r) => setTimeout(r, (2 + BURSTS) * 1000 + 300));
  const jitterBufferMs = b.stats().jitterBufferMs;
  await a.stop();
  await b.stop();
  // Pair each burst with the first onset heard within 500 ms of it (codec start-up noise ignored).
  const lat = source.onsets
    .map((t) => sink.onsets.find((s) => s >= t && s < t + 500))
    .map((s, i) => (s === undefined ? undefined : s - source.onsets[i]))
    .filter((x): x is number => x !== undefined)
    .sort((x, y) => x - y);
  return { latencyMs: lat[Math.floor(lat.length / 2)] ?? NaN, jitterBufferMs };
}

export async function run(): Promise<MediaBenchRow[]> {
  const native = await loadMediaNative();
  const have = new Set(native.codecNames());
  const rows: MediaBenchRow[] = [];
  for (const codec of CODECS.filter((c) => have.has(c.name))) {
    const cpuPercent = await cpu(codec);
    const { latencyMs, jitterBufferMs } = await latency(codec);
    rows.push({ codec: codec.name, cpuPercent, latencyMs, jitterBufferMs });
  }
  return rows;
}

export function formatTable(rows: MediaBenchRow[]): string {
  const lines = ['codec   CPU % of a core (one end)   latency source→sink ms   jitter buffer ms'];
  for (const r of rows) {
    lines.push(`${r.codec.padEnd(6)}  ${r.cpuPercent.toFixed(2).padStart(26)}  ${r.latencyMs.toFixed(1).padStart(23)}  ${r.jitterBufferMs.toFixed(1).padStart(17)}`);
  }
  return lines.join('\n');
}

const CAPACITY_STREAMS = [50, 100, 200];
const CAPACITY_SECONDS = 10;

/** Capacity rows, one run per stream count, one after the other. */
export async function capacity(options: { streams?: number[]; seconds?: number; impl?: string } = {}): Promise<CapacityRow[]> {
  const rows: CapacityRow[] = [];
  for (const streams of options.streams ?? CAPACITY_STREAMS) {
    rows.push(await capacityRun({ streams, seconds: options.seconds ?? CAPACITY_SECONDS, ...(options.impl ? { impl: options.impl } : {}) }));
  }
  return rows;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const capacityOnly = args[0] === 'capacity';
  if (!capacityOnly) {
    const rows = await run();
    console.log(`One call per codec, SRTP on, 48 kHz device ports; CPU over ${SECONDS} simulated s, latency median of ${BURSTS} tone bursts:`);
    console.log(formatTable(rows));
  }
  const streams = opt('--streams')?.split(',').map(Number);
  const seconds = opt('--seconds') !== undefined ? Number(opt('--seconds')) : undefined;
  const impl = opt('--impl');
  const rows = await capacity({ ...(streams ? { streams } : {}), ...(seconds !== undefined ? { seconds } : {}), ...(impl ? { impl } : {}) });
  if (args.includes('--json')) console.log(JSON.stringify(rows));
  else {
    console.log(`\nCapacity: one media worker, N PCMU streams (tone → silence sink) echoed back by a child process; ${seconds ?? CAPACITY_SECONDS} s per step:`);
    console.log(formatCapacity(rows));
  }
}
