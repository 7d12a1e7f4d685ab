/**
 * The playback side of the device worklet: PCM16 frames from the engine wait here until the audio
 * thread pulls them 128 samples at a time. Pure (typed arrays only), so it runs in the
 * AudioWorkletGlobalScope and in tests alike.
 *
 *   prebuffering ──(≥ startSamples buffered)──▶ playing
 *        ▲                                        │
 *        └────────────(underrun: too few)─────────┘
 *
 * The backlog is bounded: a push beyond `maxSamples` drops the oldest samples, so a burst after
 * a stall costs a skip rather than a growing delay.
 */
export interface PcmFifoOptions {
  /** Samples buffered before playback starts (and starts again after an underrun). */
  startSamples: number;
  /** The most samples kept; older ones are dropped first. */
  maxSamples: number;
}

export class PcmFifo {
  readonly startSamples: number;
  readonly maxSamples: number;
  private readonly ring: Float32Array;
  private head = 0;
  private count = 0;
  private playing = false;
  /** Samples dropped to bound the backlog, and pulls that ran short (for diagnostics and tests). */
  dropped = 0;
  underruns = 0;

  constructor(opts: PcmFifoOptions) {
    this.startSamples = opts.startSamples;
    this.maxSamples = Math.max(opts.maxSamples, opts.startSamples);
    this.ring = new Float32Array(this.maxSamples);
  }

  get buffered(): number {
    return this.count;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  /** Appends one frame of PCM16; keeps only the newest `maxSamples`. */
  push(frame: Int16Array): void {
    const cap = this.ring.length;
    let from = 0;
    if (frame.length > cap) {
      // A frame longer than the whole buffer: only its newest part can be kept.
      from = frame.length - cap;
      this.dropped += from;
    }
    const excess = this.count + (frame.length - from) - cap;
    if (excess > 0) {
      this.head = (this.head + excess) % cap;
      this.count -= excess;
      this.dropped += excess;
    }
    let tail = (this.head + this.count) % cap;
    for (let i = from; i < frame.length; i++) {
      this.ring[tail] = frame[i] / 32768;
      tail = tail + 1 === cap ? 0 : tail + 1;
    }
    this.count += frame.length - from;
  }

  /**
   * Fills `out` with the next samples (floats in [-1, 1)); silence while prebuffering. An
   * underrun plays what is left, pads with silence and goes back to prebuffering.
   */
  pull(out: Float32Array): void {
    if (!this.playing) {
      if (this.count < this.startSamples) {
        out.fill(0);
        return;
      }
      this.playing = true;
    }
    const cap = this.ring.length;
    const n = Math.min(out.length, this.count);
    for (let i = 0; i < n; i++) {
      out[i] = this.ring[this.head];
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
    }
    this.count -= n;
    if (n < out.length) {
      out.fill(0, n);
      this.playing = false;
      this.underruns++;
    }
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.playing = false;
  }
}
