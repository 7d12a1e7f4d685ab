import { frameSamples, type AudioPort } from './audio-port.ts';

export interface MixerOptions {
  sampleRate: number;
  /** A contribution older than this is no longer mixed (a participant that stopped). Default 60 ms. */
  maxAgeMs?: number;
  /** Monotonic clock in ms (default `performance.now`). */
  now?: () => number;
}

/**
 * A conference mixer ("mix-minus"): each participant puts the frames it hears from its side
 * and gets the saturated sum of everybody else's latest frame, never its own. Participants run
 * on their own 20 ms clocks; the mixer keeps each one's latest frame for `maxAgeMs`.
 */
export class Mixer {
  readonly sampleRate: number;
  readonly #frame: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #participants = new Set<MixerParticipant>();

  constructor(options: MixerOptions) {
    this.sampleRate = options.sampleRate;
    this.#frame = frameSamples(options.sampleRate);
    this.#maxAgeMs = options.maxAgeMs ?? 60;
    this.#now = options.now ?? (() => performance.now());
  }

  /** A new participant port: put what it says, get what it should hear. */
  join(name = `p${this.#participants.size + 1}`): MixerParticipant {
    const p = new MixerParticipant({ mixer: this, name, sampleRate: this.sampleRate });
    this.#participants.add(p);
    return p;
  }

  get size(): number {
    return this.#participants.size;
  }

  /** @internal */
  leave(p: MixerParticipant): void {
    this.#participants.delete(p);
  }

  /** @internal The mix for `listener`: all fresh contributions but its own, saturated to 16 bits. */
  mixFor(listener: MixerParticipant): Int16Array {
    const now = this.#now();
    const acc = new Int32Array(this.#frame);
    for (const p of this.#participants) {
      if (p === listener) continue;
      const c = p.contribution;
      if (!c || now - c.at > this.#maxAgeMs) continue;
      const n = Math.min(acc.length, c.frame.length);
      for (let i = 0; i < n; i++) acc[i] += c.frame[i];
    }
    const out = new Int16Array(this.#frame);
    for (let i = 0; i < out.length; i++) out[i] = acc[i] > 32767 ? 32767 : acc[i] < -32768 ? -32768 : acc[i];
    return out;
  }

  /** @internal */
  get now(): number {
    return this.#now();
  }
}

/** One seat at the mixer; an AudioPort whose getFrame is the mix of the others. */
export class MixerParticipant implements AudioPort {
  readonly sampleRate: number;
  readonly name: string;
  readonly #mixer: Mixer;
  contribution: { frame: Int16Array; at: number } | undefined;

  constructor(init: { mixer: Mixer; name: string; sampleRate: number }) {
    this.#mixer = init.mixer;
    this.name = init.name;
    this.sampleRate = init.sampleRate;
  }

  getFrame(): Int16Array {
    return this.#mixer.mixFor(this);
  }

  putFrame(frame: Int16Array): void {
    this.contribution = { frame: frame.slice(), at: this.#mixer.now };
  }

  close(): void {
    this.#mixer.leave(this);
    this.contribution = undefined;
  }
}
