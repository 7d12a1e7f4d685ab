/**
 * Signal analysis for media tests: Goertzel tone detection, RMS level, normalized
 * cross-correlation with a lag search, and a small self-contained PCM16 WAV reader/writer
 * (independent of main/media, so recordings are checked by other code than wrote them).
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** Power of one frequency bin (Goertzel), normalized so a full-scale sine gives ≈ 1. */
export function goertzelPower(samples: ArrayLike<number>, sampleRate: number, frequency: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const w = (2 * Math.PI * frequency) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i] / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (4 * power) / (n * n);
}

/** The candidate frequency with the most Goertzel power. */
export function dominantFrequency(samples: ArrayLike<number>, sampleRate: number, candidates: number[]): number {
  let best = candidates[0];
  let bestPower = -1;
  for (const f of candidates) {
    const p = goertzelPower(samples, sampleRate, f);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return best;
}

/** Scans `from..to` Hz in `step` Hz steps for the strongest bin. */
export function peakFrequency(samples: ArrayLike<number>, sampleRate: number, from = 100, to = 3400, step = 10): number {
  const candidates: number[] = [];
  for (let f = from; f <= to; f += step) candidates.push(f);
  return dominantFrequency(samples, sampleRate, candidates);
}

/** RMS level in dBFS, where a full-scale sine is 0 dBFS (so a −20 dBFS tone reads −20). */
export function rmsDb(samples: ArrayLike<number>): number {
  if (samples.length === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / samples.length);
  return 20 * Math.log10(rms / 32767) + 20 * Math.log10(Math.SQRT2);
}

/** Share of the signal's energy at `frequency` (1 = a pure tone; speech or noise ≪ 1). */
export function tonePurity(samples: ArrayLike<number>, sampleRate: number, frequency: number): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += (samples[i] / 32768) ** 2;
  const meanSquare = sum / samples.length;
  if (meanSquare === 0) return 0;
  return goertzelPower(samples, sampleRate, frequency) / 2 / meanSquare;
}

/**
 * Normalized cross-correlation of `b` against `a`, searching lags 0..maxLag (b delayed by lag
 * relative to a; negative lags too when `symmetric`). Returns the best lag and its coefficient
 * in −1..1 (1 = b is a scaled, delayed copy of a).
 */
export function crossCorrelation(a: ArrayLike<number>, b: ArrayLike<number>, maxLag: number, options: { symmetric?: boolean; step?: number } = {}): { lag: number; value: number } {
  const step = options.step ?? 1;
  let best = { lag: 0, value: -Infinity };
  const from = options.symmetric ? -maxLag : 0;
  for (let lag = from; lag <= maxLag; lag += step) {
    const v = correlationAt(a, b, lag);
    if (v > best.value) best = { lag, value: v };
  }
  if (step > 1) {
    // Refine around the coarse peak.
    for (let lag = best.lag - step + 1; lag < best.lag + step; lag++) {
      const v = correlationAt(a, b, lag);
      if (v > best.value) best = { lag, value: v };
    }
  }
  return best;
}

function correlationAt(a: ArrayLike<number>, b: ArrayLike<number>, lag: number): number {
  // Pairs a[i] with b[i + lag].
  const start = Math.max(0, -lag);
  const end = Math.min(a.length, b.length - lag);
  if (end - start < 16) return -Infinity;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = start; i < end; i++) {
    const x = a[i];
    const y = b[i + lag];
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  if (saa === 0 || sbb === 0) return 0;
  return sab / Math.sqrt(saa * sbb);
}

/** First sample index where the short-term level (10 ms windows) rises above `thresholdDb`. */
export function onsetIndex(samples: ArrayLike<number>, sampleRate: number, thresholdDb = -40): number {
  const win = Math.max(1, Math.round(sampleRate / 100));
  for (let i = 0; i + win <= samples.length; i += Math.max(1, win >> 2)) {
    const slice = Array.prototype.slice.call(samples, i, i + win) as number[];
    if (rmsDb(slice) > thresholdDb) {
      // Refine to the first sample above the threshold amplitude within the window.
      const amp = 32767 * 10 ** (thresholdDb / 20);
      for (let k = i; k < i + win; k++) if (Math.abs(samples[k]) > amp) return k;
      return i;
    }
  }
  return -1;
}

export interface Wav {
  sampleRate: number;
  /** One Int16Array per channel. */
  channels: Int16Array[];
}

/** Reads a PCM16 WAV (walks the chunks; a data size past the end of the file is clipped). */
export function readWav(path: string): Wav {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => bytes.toString('latin1', at, at + 4);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error(`${path}: not a WAV file`);
  let at = 12;
  let channels = 0;
  let sampleRate = 0;
  while (at + 8 <= bytes.length) {
    const size = view.getUint32(at + 4, true);
    if (tag(at) === 'fmt ') {
      channels = view.getUint16(at + 10, true);
      sampleRate = view.getUint32(at + 12, true);
      const bits = view.getUint16(at + 22, true);
      if (bits !== 16) throw new Error(`${path}: ${bits}-bit WAV`);
    } else if (tag(at) === 'data') {
      const end = Math.min(bytes.length, at + 8 + size);
      const frames = Math.floor((end - at - 8) / (2 * channels));
      const out = Array.from({ length: channels }, () => new Int16Array(frames));
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < channels; c++) out[c][i] = view.getInt16(at + 8 + (i * channels + c) * 2, true);
      }
      return { sampleRate, channels: out };
    }
    at += 8 + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

/** Writes a PCM16 WAV with one Int16Array per channel. */
export function writeWav(path: string, wav: Wav): void {
  const n = wav.channels[0]?.length ?? 0;
  const c = wav.channels.length;
  const buf = Buffer.alloc(44 + n * c * 2);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + n * c * 2, 4);
  buf.write('WAVEfmt ', 8, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(c, 22);
  buf.writeUInt32LE(wav.sampleRate, 24);
  buf.writeUInt32LE(wav.sampleRate * c * 2, 28);
  buf.writeUInt16LE(c * 2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(n * c * 2, 40);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) buf.writeInt16LE(wav.channels[k][i], 44 + (i * c + k) * 2);
  writeFileSync(path, buf);
}

/** A sine at `frequency` and `levelDb` dBFS. */
export function sine(options: { sampleRate: number; frequency: number; levelDb: number; seconds: number }): Int16Array {
  const n = Math.round(options.sampleRate * options.seconds);
  const amp = 32767 * 10 ** (options.levelDb / 20);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * options.frequency * i) / options.sampleRate));
  return out;
}
