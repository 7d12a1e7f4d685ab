/**
 * Comfort-noise generation for RFC 3389 CN frames: white noise, gently low-passed, at the
 * level the peer announced in −dBov (§3.1; 0 dBov = the 16-bit overload point, so the RMS is
 * 32767 · 10^(−level/20)). The spectral coefficients of the packet are not used.
 */
export class ComfortNoise {
  #seed: number;
  #prev = 0;

  constructor(options: { seed?: number } = {}) {
    this.#seed = (options.seed ?? 0x2545f491) >>> 0 || 1;
  }

  /** A frame of `samples` noise samples at `level` −dBov (127 = silence). */
  frame(level: number, samples: number): Int16Array {
    const out = new Int16Array(samples);
    if (level >= 127) return out;
    const rms = 32767 * 10 ** (-level / 20);
    // Uniform noise in [−1, 1) has RMS 1/√3; the one-pole low-pass y = a·y + (1 − a)·x scales
    // the RMS by √((1 − a)/(1 + a)); `gain` undoes both so the output RMS matches the level.
    const a = 0.5;
    const gain = rms * Math.sqrt(3) * Math.sqrt((1 + a) / (1 - a));
    for (let i = 0; i < samples; i++) {
      this.#seed ^= this.#seed << 13;
      this.#seed ^= this.#seed >>> 17;
      this.#seed ^= this.#seed << 5;
      this.#seed >>>= 0;
      const white = this.#seed / 2147483648 - 1;
      this.#prev = a * this.#prev + (1 - a) * white;
      const v = Math.round(this.#prev * gain);
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return out;
  }
}
