// Signal generators and measurements shared by the native addon's tests (and the codec benchmark):
// tones, a 300-3400 Hz mix, a speech clip from espeak-ng, SNR after delay alignment, Goertzel
// power, zero-crossing frequency and RMS level.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Sum of sines, `seconds` long at `rate`; each component has peak `amplitude`. */
export function tones(opts: { rate: number; seconds: number; frequencies: number[]; amplitude: number }): Int16Array {
  const n = Math.round(opts.rate * opts.seconds);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const f of opts.frequencies) v += Math.sin((2 * Math.PI * f * i) / opts.rate);
    out[i] = Math.round(v * opts.amplitude);
  }
  return out;
}

/** 300-3400 Hz multi-tone (the telephone band), peak under 12000. */
export const BAND_MIX = [300, 700, 1100, 1700, 2300, 2900, 3400];

/**
 * A few seconds of synthetic speech at `rate`, made once with espeak-ng and sox; null when either
 * tool is missing (the caller skips with a reason).
 */
export function speech(rate: number): Int16Array | null {
  const dir = mkdtempSync(join(tmpdir(), 'appel-speech-'));
  try {
    const wav = join(dir, 'speech.wav');
    const raw = join(dir, 'speech.raw');
    execFileSync('espeak-ng', ['-w', wav, '-s', '150', 'Hello, this is Appel calling. Please leave a message after the tone.'], {
      stdio: 'ignore',
    });
    // -R: sox dithers with a time-seeded generator unless told to repeat itself; the clip must be
    // the same in every run, or thresholds measured on it pass or fail at random.
    execFileSync('sox', ['-R', wav, '-t', 'raw', '-r', String(rate), '-e', 'signed-integer', '-b', '16', '-c', '1', '-L', raw], {
      stdio: 'ignore',
    });
    const bytes = readFileSync(raw);
    return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~1)));
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether every named program is an executable on PATH. */
export function hasTools(...names: string[]): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return names.every((name) =>
    dirs.some((dir) => {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }),
  );
}

/** Split into frames of `size` (the tail that does not fill a frame is dropped). */
export function frames(signal: Int16Array, size: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + size <= signal.length; i += size) out.push(signal.slice(i, i + size));
  return out;
}

export function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function rms(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}

export function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/**
 * The delay (in samples, 0..maxLag) of `decoded` relative to `original` that maximises their
 * normalised cross-correlation over [from, from + length) of the original.
 */
export function bestLag(original: Int16Array, decoded: Int16Array, opts: { from: number; length: number; maxLag: number }): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let lag = 0; lag <= opts.maxLag; lag++) {
    let xy = 0;
    let yy = 0;
    for (let i = opts.from; i < opts.from + opts.length; i++) {
      const y = decoded[i + lag] ?? 0;
      xy += original[i] * y;
      yy += y * y;
    }
    const score = yy > 0 ? xy / Math.sqrt(yy) : -Infinity;
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  return best;
}

/** SNR in dB of `decoded` (delayed by `lag`) against `original` over [from, from + length). */
export function snr(original: Int16Array, decoded: Int16Array, opts: { lag: number; from: number; length: number }): number {
  let signal = 0;
  let noise = 0;
  for (let i = opts.from; i < opts.from + opts.length; i++) {
    const e = original[i] - (decoded[i + opts.lag] ?? 0);
    signal += original[i] * original[i];
    noise += e * e;
  }
  return 10 * Math.log10(signal / Math.max(noise, 1e-9));
}

/** Goertzel power of `frequency` in x[from, to) (normalised: a full-scale sine gives ~0.25). */
export function goertzel(x: ArrayLike<number>, opts: { rate: number; frequency: number; from?: number; to?: number }): number {
  const from = opts.from ?? 0;
  const to = opts.to ?? x.length;
  const n = to - from;
  const w = (2 * Math.PI * opts.frequency) / opts.rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = x[i] / 32768 + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (n * n);
}

/** Dominant frequency of a pure tone from its zero crossings over x[from, to). */
export function zeroCrossingFrequency(x: ArrayLike<number>, opts: { rate: number; from?: number; to?: number }): number {
  const from = opts.from ?? 0;
  const to = opts.to ?? x.length;
  let crossings = 0;
  for (let i = from + 1; i < to; i++) {
    if ((x[i - 1] < 0 && x[i] >= 0) || (x[i - 1] >= 0 && x[i] < 0)) crossings++;
  }
  return (crossings / 2) * (opts.rate / (to - from));
}
