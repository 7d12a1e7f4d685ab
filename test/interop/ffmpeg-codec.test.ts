// Debian's ffmpeg as an independent G.711 / G.722 implementation: ffmpeg encodes a signal to raw
// µ-law, A-law and G.722 files, our decoder must agree with ffmpeg's own decoding of the same
// bytes; and ffmpeg must decode what our encoder makes. Files only: no sockets at all.
//
// Measured here (ffmpeg 5.1, spandsp 0.0.6) on the espeak-ng clip (or the 300-3400 Hz mix):
// G.711 decodings are sample-identical; encodings agree but for low-bit rounding (see below).
// G.722: our decoding of ffmpeg's bitstream is sample-identical to ffmpeg's; our bitstream
// decoded by ffmpeg gives 26.5 dB SNR against the speech input, the same as ffmpeg's own.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { createCodec, type CodecName } from '../../native/index.ts';
import { BAND_MIX, bestLag, concat, frames, hasTools, snr, speech, tones } from '../unit/native/audio-metrics.ts';

const HAVE_FFMPEG = hasTools('ffmpeg');
const dir = mkdtempSync(join(tmpdir(), 'appel-ffmpeg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function input(rate: number): Int16Array {
  return speech(rate) ?? tones({ rate, seconds: 2, frequencies: BAND_MIX, amplitude: 1500 });
}

function writePcm(name: string, pcm: Int16Array): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  return path;
}

function readPcm(path: string): Int16Array {
  const b = readFileSync(path);
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + (b.length & ~1)));
}

function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** ffmpeg format names for the raw files (RFC 3551 payload octets, no container). */
const FORMAT: Record<'pcmu' | 'pcma' | 'g722', { muxer: string; codec: string; rate: number }> = {
  pcmu: { muxer: 'mulaw', codec: 'pcm_mulaw', rate: 8000 },
  pcma: { muxer: 'alaw', codec: 'pcm_alaw', rate: 8000 },
  g722: { muxer: 'g722', codec: 'g722', rate: 16000 },
};

function ffmpegEncode(name: keyof typeof FORMAT, pcm: Int16Array): Uint8Array {
  const f = FORMAT[name];
  const src = writePcm(`${name}-in.raw`, pcm);
  const out = join(dir, `${name}.${f.muxer}`);
  ffmpeg('-f', 's16le', '-ar', String(f.rate), '-ac', '1', '-i', src, '-c:a', f.codec, '-f', f.muxer, out);
  return readBytes(out);
}

function ffmpegDecode(name: keyof typeof FORMAT, payload: Uint8Array): Int16Array {
  const f = FORMAT[name];
  const src = join(dir, `${name}-bits.${f.muxer}`);
  writeFileSync(src, payload);
  const out = join(dir, `${name}-out.raw`);
  // G.722's sample rate is implied by the format; the G.711 muxers need it spelled out.
  const rateArgs = name === 'g722' ? [] : ['-ar', String(f.rate)];
  ffmpeg('-f', f.muxer, ...rateArgs, '-i', src, '-f', 's16le', '-ac', '1', out);
  return readPcm(out);
}

function ourEncode(name: CodecName, pcm: Int16Array): Uint8Array {
  const codec = createCodec(name);
  const parts = frames(pcm, codec.frameSamples).map((f) => codec.encode(f));
  codec.close();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function ourDecode(name: CodecName, payload: Uint8Array): Int16Array {
  const codec = createCodec(name);
  const parts: Int16Array[] = [];
  for (let i = 0; i < payload.length; i += 160) parts.push(codec.decode(payload.subarray(i, i + 160))); // 20 ms
  codec.close();
  return concat(parts);
}

function alignedSnr(original: Int16Array, decoded: Int16Array, rate: number): number {
  const from = Math.round(rate * 0.05);
  const maxLag = Math.round(rate * 0.01);
  const length = Math.min(original.length, decoded.length) - from - maxLag;
  const lag = bestLag(original, decoded, { from, length, maxLag });
  return snr(original, decoded, { lag, from, length });
}

// Skipped only where Debian's ffmpeg is not installed.
describe.runIf(HAVE_FFMPEG)('ffmpeg and the native codecs agree', () => {
  describe.each(['pcmu', 'pcma'] as const)('%s', (name) => {
    const pcm = concat(frames(input(8000), 160));

    it("our decoder reads ffmpeg's bytes exactly as ffmpeg does", () => {
      const bits = ffmpegEncode(name, pcm);
      expect(bits.length).toBe(pcm.length);
      const ours = ourDecode(name, bits);
      const theirs = ffmpegDecode(name, bits);
      expect(ours.length).toBe(theirs.length);
      expect(Buffer.from(ours.buffer).equals(Buffer.from(theirs.buffer))).toBe(true);
    });

    // The G.711 tables fix the decoder exactly, but not the rounding of the input's low bits
    // before quantizing: spandsp and ffmpeg disagree on ~8 % (µ-law) / ~5 % (A-law) of speech
    // samples, always between two neighbouring levels (e.g. -1 -> +0 here, -8 in ffmpeg).
    it("our encoder's bytes are ffmpeg's or the neighbouring level, and as accurate", () => {
      const ours = ourEncode(name, pcm);
      const theirs = ffmpegEncode(name, pcm);
      const viaOurs = ffmpegDecode(name, ours);
      const viaTheirs = ffmpegDecode(name, theirs);
      const levels = [...new Set(ourDecode(name, new Uint8Array(256).map((_, i) => i)))].sort((a, b) => a - b);
      const rank = new Map(levels.map((v, i) => [v, i]));
      let same = 0;
      for (let i = 0; i < pcm.length; i++) {
        const step = Math.abs(rank.get(viaOurs[i])! - rank.get(viaTheirs[i])!);
        if (step > 1) expect.fail(`sample ${i} (${pcm[i]}): ${viaOurs[i]} vs ffmpeg ${viaTheirs[i]}`);
        if (step === 0) same++;
      }
      expect(same / pcm.length).toBeGreaterThan(0.85);
      const whole = { lag: 0, from: 0, length: pcm.length };
      expect(snr(pcm, viaOurs, whole)).toBeGreaterThan(snr(pcm, viaTheirs, whole) - 0.5);
    });
  });

  describe('g722', () => {
    const pcm = concat(frames(input(16000), 320));

    it("our decoder reads ffmpeg's G.722 as ffmpeg does", () => {
      const bits = ffmpegEncode('g722', pcm);
      expect(bits.length).toBe(pcm.length / 2);
      const ours = ourDecode('g722', bits);
      const theirs = ffmpegDecode('g722', bits);
      expect(ours.length).toBe(theirs.length);
      // Same ITU-T algorithm, same arithmetic: the two decodings are sample-identical.
      expect(Buffer.from(ours.buffer).equals(Buffer.from(theirs.buffer))).toBe(true);
      expect(alignedSnr(pcm, ours, 16000)).toBeGreaterThan(20);
    });

    it("ffmpeg decodes our G.722 as well as its own", () => {
      const ours = ffmpegDecode('g722', ourEncode('g722', pcm));
      const theirs = ffmpegDecode('g722', ffmpegEncode('g722', pcm));
      const viaOurs = alignedSnr(pcm, ours, 16000);
      const viaTheirs = alignedSnr(pcm, theirs, 16000);
      expect(viaOurs).toBeGreaterThan(20);
      expect(Math.abs(viaOurs - viaTheirs)).toBeLessThan(1);
    });
  });
});
