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

/** A sine or dual-tone generator with a continuous phase across frames. */
export class ToneSource implements AudioPort {
  readonly sampleRate: number;
  readonly #frame: number;
  readonly #steps: number[];
  readonly #amplitude: number;
  readonly #cadence: { on: number; period: number } | undefined;
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
  }

  getFrame(): Int16Array {
    const out = new Int16Array(this.#frame);
    for (let i = 0; i < out.length; i++, this.#n++) {
      if (this.#cadence && this.#n % this.#cadence.period >= this.#cadence.on) continue;
      let v = 0;
      for (const step of this.#steps) v += Math.sin(step * this.#n);
      out[i] = Math.max(-32768, Math.min(32767, Math.round(v * this.#amplitude)));
    }
    return out;
  }

  putFrame(_frame: Int16Array): void {}

  close(): void {}
}
