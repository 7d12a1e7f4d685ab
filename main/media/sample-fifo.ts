/**
 * A first-in first-out queue of 16-bit samples (a growable ring). Used wherever blocks of one
 * size meet blocks of another: resampler output, device capture, peers' odd packet sizes.
 */
import { mediaSlab } from './typed-slab.ts';

export class SampleFifo {
  #buf: Int16Array;
  #start = 0;
  #length = 0;

  constructor(initialCapacity = 4096) {
    this.#buf = new Int16Array(Math.max(16, initialCapacity));
  }

  /** Samples queued. */
  get length(): number {
    return this.#length;
  }

  write(samples: Int16Array): void {
    if (this.#length + samples.length > this.#buf.length) {
      const next = new Int16Array(Math.max(this.#buf.length * 2, this.#length + samples.length));
      this.#copyOut(next, this.#length);
      this.#buf = next;
      this.#start = 0;
    }
    const cap = this.#buf.length;
    const end = (this.#start + this.#length) % cap;
    const first = Math.min(samples.length, cap - end);
    this.#buf.set(samples.subarray(0, first), end);
    if (first < samples.length) this.#buf.set(samples.subarray(first), 0);
    this.#length += samples.length;
  }

  #copyOut(target: Int16Array, n: number): void {
    const cap = this.#buf.length;
    const first = Math.min(n, cap - this.#start);
    target.set(this.#buf.subarray(this.#start, this.#start + first), 0);
    if (first < n) target.set(this.#buf.subarray(0, n - first), first);
  }

  /** Takes `n` samples; when fewer are queued the rest of the block is zeros (underrun). */
  read(n: number): Int16Array {
    const out = mediaSlab.int16(n);
    const take = Math.min(n, this.#length);
    this.#copyOut(out, take);
    this.#skip(take);
    return out;
  }

  /** Drops the `n` oldest samples (bounding latency after an overrun). */
  discard(n: number): void {
    this.#skip(Math.min(n, this.#length));
  }

  #skip(n: number): void {
    this.#start = (this.#start + n) % this.#buf.length;
    this.#length -= n;
    if (this.#length === 0) this.#start = 0;
  }

  clear(): void {
    this.#start = 0;
    this.#length = 0;
  }
}
