/**
 * The capture side of the device worklet: the audio thread's 128-sample quanta (one Float32Array
 * per input channel) become mono PCM16 blocks of a fixed size, each handed to `emit` once full.
 * Pure (typed arrays only). Each block is a fresh array, so the caller may transfer its buffer.
 */
export interface CaptureFramerOptions {
  /** Samples per block (960: 20 ms at 48 kHz). */
  blockSamples: number;
  emit: (block: Int16Array) => void;
}

export class CaptureFramer {
  private readonly size: number;
  private readonly emit: (block: Int16Array) => void;
  private block: Int16Array;
  private filled = 0;

  constructor(opts: CaptureFramerOptions) {
    this.size = opts.blockSamples;
    this.emit = opts.emit;
    this.block = new Int16Array(this.size);
  }

  /**
   * Mixes the channels of one quantum to mono (their mean) into the current block. No channel
   * (nothing connected, as while the microphone is re-acquired) counts as `frames` of silence.
   * Returns the mono samples' sum of squares (for the level meter).
   */
  write(channels: readonly Float32Array[], frames: number): number {
    const n = channels.length > 0 ? channels[0].length : frames;
    const scale = channels.length > 0 ? 1 / channels.length : 0;
    let energy = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (const ch of channels) s += ch[i];
      s *= scale;
      energy += s * s;
      this.block[this.filled++] = toInt16(s);
      if (this.filled === this.size) {
        const full = this.block;
        this.block = new Int16Array(this.size);
        this.filled = 0;
        this.emit(full);
      }
    }
    return energy;
  }

  /** Drops a partly filled block (after the link changed). */
  reset(): void {
    this.filled = 0;
  }
}

/** A float sample in [-1, 1] as PCM16, clipped and rounded. */
export function toInt16(s: number): number {
  const v = Math.round(s * 32768);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}
