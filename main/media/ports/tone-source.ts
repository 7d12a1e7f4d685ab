import { mediaSlab } from '../typed-slab.ts';
import { frameSamples, type AudioPort } from './audio-port.ts';

export interface ToneSourceOptions {
  sampleRate: number;
  /** One frequency (a sine) or two (a dual tone, e.g. DTMF or the 440+480 Hz ringback). */
  frequencies: number[];
  /**
   * Level of each component in dBFS (0 = a full-scale sine). Default −20. A dual tone's
   * components are summed, so two at −20 dBFS peak at −14 dBFS.
   */
  levelDb?: number;
  /** Optional cadence: on for `onMs`, off for `offMs`, repeating (ringback: 2000 / 4000). */
  cadence?: { onMs: number; offMs: number };
}

/** Longest waveform period kept as a table (samples): one second at 48 kHz. */
const MAX_TABLE = 48000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * A sine or dual-tone generator with a continuous phase across frames. Integer frequencies
 * repeat exactly every rate / gcd(f, rate) samples: that period is computed once and frames are
 * read out of it (a media worker playing a tone into hundreds of calls would otherwise spend
 * more on Math.sin than on the codec).
 */
export class ToneSource implements AudioPort {
  readonly sampleRate: number;
  readonly ahead = true;
  readonly #frame: number;
  readonly #steps: number[];
  readonly #amplitude: number;
  readonly #cadence: { on: number; period: number } | undefined;
  readonly #table: Int16Array | undefined;
  #n = 0;

  constructor(options: ToneSourceOptions) {
    this.sampleRate = options.sampleRate;
    this.#frame = frameSamples(options.sampleRate);
    this.#steps = options.frequencies.map((f) => (2 * Math.PI * f) / options.sampleRate);
    this.#amplitude = 32767 * 10 ** ((options.levelDb ?? -20) / 20);
    this.#cadence = options.cadence && {
      on: Math.round((options.cadence.onMs * options.sampleRate) / 1000),
      period: Math.round(((options.cadence.onMs + options.cadence.offMs) * options.sampleRate) / 1000),
    };
    const rate = options.sampleRate;
    if (Number.isInteger(rate) && options.frequencies.every((f) => Number.isInteger(f))) {
      // The period of the sum is the least common multiple of the components' periods.
      let period = 1;
      for (const f of options.frequencies) {
        const p = rate / gcd(Math.abs(f), rate);
        period = (period / gcd(period, p)) * p;
        if (period > MAX_TABLE) break;
      }
      if (period <= MAX_TABLE) {
        this.#table = new Int16Array(period);
        for (let n = 0; n < period; n++) this.#table[n] = this.#sample(n);
      }
    }
  }

  #sample(n: number): number {
    let v = 0;
    for (const step of this.#steps) v += Math.sin(step * n);
    return Math.max(-32768, Math.min(32767, Math.round(v * this.#amplitude)));
  }

  getFrame(): Int16Array {
    const out = mediaSlab.int16(this.#frame);
    const table = this.#table;
    if (table && !this.#cadence) {
      // Straight out of the table, a run at a time (a frame may wrap round the period).
      let pos = this.#n % table.length;
      for (let i = 0; i < out.length; ) {
        const run = Math.min(out.length - i, table.length - pos);
        out.set(table.subarray(pos, pos + run), i);
        i += run;
        pos = 0;
      }
      this.#n += out.length;
      return out;
    }
    for (let i = 0; i < out.length; i++, this.#n++) {
      if (this.#cadence && this.#n % this.#cadence.period >= this.#cadence.on) continue;
      out[i] = table ? table[this.#n % table.length] : this.#sample(this.#n);
    }
    return out;
  }

  putFrame(_frame: Int16Array): void {}

  close(): void {}
}
