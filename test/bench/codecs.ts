// Benchmark of the native addon: encode and decode time per 20 ms frame for every codec, Opus
// through opusscript (libopus compiled to WebAssembly) at the same settings beside it, the
// resampler per 20 ms frame and SRTP protect/unprotect per packet.
//
//   node_modules/.bin/node test/bench/codecs.ts      prints a table
//   import { run } from './codecs.ts'                 returns the rows
//
// Each figure is the median over RUNS runs of the per-call mean over a run of FRAMES calls (one
// warm-up run first). Speed is measured here, never asserted in tests.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createCodec, Resampler, SrtpSession, srtpSuites, type CodecName, type CodecOptions } from '../../native/index.ts';
import { BAND_MIX, frames, tones } from '../unit/native/audio-metrics.ts';

export interface BenchRow {
  /** What was measured, e.g. 'opus 48k 32 kb/s (native)'. */
  subject: string;
  /** 'encode', 'decode', 'process', 'protect', 'unprotect'. */
  operation: string;
  /** Median microseconds per call (one 20 ms frame or one packet). */
  microseconds: number;
}

const RUNS = 7;
const FRAMES = 250; // 5 s of audio per run

/** Median over RUNS of the mean time per call of `body(i)` for i in 0..FRAMES-1. */
function measure(body: (i: number) => void): number {
  const means: number[] = [];
  for (let run = -1; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < FRAMES; i++) body(i);
    const perCall = Number(process.hrtime.bigint() - start) / 1000 / FRAMES;
    if (run >= 0) means.push(perCall); // run -1 warms up
  }
  means.sort((a, b) => a - b);
  return means[Math.floor(means.length / 2)];
}

/** A voice-like test signal at `rate`: the telephone-band mix plus a little noise. */
function signal(rate: number, frameSamples: number): Int16Array[] {
  const mix = tones({ rate, seconds: FRAMES / 50, frequencies: BAND_MIX, amplitude: 1200 });
  let seed = 1;
  for (let i = 0; i < mix.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    mix[i] += (seed % 801) - 400;
  }
  return frames(mix, frameSamples);
}

const OPUS_REFERENCE: CodecOptions = { sampleRate: 48000, bitrate: 32000, complexity: 10 };

const CODECS: { subject: string; name: CodecName; options: CodecOptions }[] = [
  { subject: 'pcmu', name: 'pcmu', options: {} },
  { subject: 'pcma', name: 'pcma', options: {} },
  { subject: 'g722', name: 'g722', options: {} },
  { subject: 'g729', name: 'g729', options: {} },
  { subject: 'gsm', name: 'gsm', options: {} },
  { subject: 'opus 48k 32 kb/s c10 (native)', name: 'opus', options: OPUS_REFERENCE },
  { subject: 'opus 16k 24 kb/s c10 (native)', name: 'opus', options: { sampleRate: 16000, bitrate: 24000, complexity: 10 } },
];

function benchCodecs(rows: BenchRow[]): void {
  for (const c of CODECS) {
    const codec = createCodec(c.name, c.options);
    const input = signal(codec.sampleRate, codec.frameSamples);
    const packets = input.map((f) => codec.encode(f));
    rows.push({ subject: c.subject, operation: 'encode', microseconds: measure((i) => codec.encode(input[i])) });
    rows.push({ subject: c.subject, operation: 'decode', microseconds: measure((i) => codec.decode(packets[i])) });
    codec.close();
  }
}

interface OpusScriptInstance {
  encode(pcm: Int16Array, frameSize: number): Uint8Array;
  decode(packet: Uint8Array): Uint8Array;
  encoderCTL(ctl: number, value: number): void;
  setBitrate(bitrate: number): void;
  delete(): void;
}
type OpusScriptClass = (new (rate: number, channels: number, application: number) => OpusScriptInstance) & {
  Application: { VOIP: number };
};

// libopus CTL request numbers (opus_defines.h).
const OPUS_SET_COMPLEXITY_REQUEST = 4010;
const OPUS_SET_SIGNAL_REQUEST = 4024;
const OPUS_SIGNAL_VOICE = 3001;

/** The same encoder settings as the native reference row, through opusscript's WebAssembly build. */
function benchOpusScript(rows: BenchRow[]): void {
  let OpusScript: OpusScriptClass;
  try {
    OpusScript = createRequire(import.meta.url)('opusscript') as OpusScriptClass;
  } catch {
    return; // not installed: the table simply has no opusscript row
  }
  const subject = 'opus 48k 32 kb/s c10 (opusscript wasm)';
  const opus = new OpusScript(48000, 1, OpusScript.Application.VOIP);
  opus.setBitrate(OPUS_REFERENCE.bitrate!);
  opus.encoderCTL(OPUS_SET_COMPLEXITY_REQUEST, OPUS_REFERENCE.complexity!);
  opus.encoderCTL(OPUS_SET_SIGNAL_REQUEST, OPUS_SIGNAL_VOICE);
  const input = signal(48000, 960);
  // opusscript copies its input into wasm memory element by element: hand it Int16 samples.
  const packets = input.map((f) => new Uint8Array(opus.encode(f, 960)));
  rows.push({ subject, operation: 'encode', microseconds: measure((i) => opus.encode(input[i], 960)) });
  rows.push({ subject, operation: 'decode', microseconds: measure((i) => opus.decode(packets[i])) });
  opus.delete();
}

function benchResampler(rows: BenchRow[]): void {
  for (const [from, to] of [
    [48000, 16000],
    [16000, 48000],
    [48000, 8000],
    [8000, 48000],
  ]) {
    const r = new Resampler({ from, to });
    const input = signal(from, from / 50);
    rows.push({ subject: `resampler ${from / 1000}k -> ${to / 1000}k q5`, operation: 'process', microseconds: measure((i) => r.process(input[i])) });
    r.close();
  }
}

function benchSrtp(rows: BenchRow[]): void {
  for (const suite of srtpSuites()) {
    const key = new Uint8Array(suite === 'AEAD_AES_128_GCM' ? 28 : 30).map((_, i) => i * 7);
    const outbound = new SrtpSession({ suite, key, direction: 'outbound' });
    const inbound = new SrtpSession({ suite, key, direction: 'inbound' });
    // 172-byte RTP packets (12-byte header + 160 bytes of G.711); a fresh sequence number per call.
    let seq = 0;
    const packet = (): Uint8Array => {
      const p = new Uint8Array(172).fill(0x55);
      p[0] = 0x80;
      p[2] = (seq >> 8) & 0xff;
      p[3] = seq & 0xff;
      p[11] = 1;
      seq = (seq + 1) & 0xffff;
      return p;
    };
    const plain = Array.from({ length: FRAMES * (RUNS + 1) }, packet);
    const protectedPackets: Uint8Array[] = [];
    let n = 0;
    rows.push({
      subject: `srtp ${suite} (172 B)`,
      operation: 'protect',
      microseconds: measure(() => protectedPackets.push(outbound.protectRtp(plain[n++]))),
    });
    n = 0;
    rows.push({
      subject: `srtp ${suite} (172 B)`,
      operation: 'unprotect',
      microseconds: measure(() => inbound.unprotectRtp(protectedPackets[n++])),
    });
    outbound.close();
    inbound.close();
  }
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  benchCodecs(rows);
  benchOpusScript(rows);
  benchResampler(rows);
  benchSrtp(rows);
  return rows;
}

/** One line per subject, its operations side by side. */
export function formatTable(rows: BenchRow[]): string {
  const subjects = [...new Set(rows.map((r) => r.subject))];
  const width = Math.max(...subjects.map((s) => s.length));
  const cell = (subject: string, ops: string[]): string => {
    const r = rows.find((x) => x.subject === subject && ops.includes(x.operation));
    return r ? `${r.microseconds.toFixed(1)}`.padStart(10) : '-'.padStart(10);
  };
  const lines = [`${'subject'.padEnd(width)}  ${'encode/'.padStart(10)}  ${'decode/'.padStart(10)}`];
  lines.push(`${''.padEnd(width)}  ${'protect µs'.padStart(10)}  ${'unprot. µs'.padStart(10)}`);
  for (const s of subjects) {
    lines.push(`${s.padEnd(width)}  ${cell(s, ['encode', 'protect', 'process'])}  ${cell(s, ['decode', 'unprotect'])}`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await run();
  console.log('Per 20 ms frame (codecs, resampler "encode" column = process) or per packet (SRTP), median µs:');
  console.log(formatTable(rows));
}
