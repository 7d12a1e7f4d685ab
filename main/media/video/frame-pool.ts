/**
 * Decoded-frame buffers to write again. A fresh 460 KB buffer per 480p frame costs more than
 * libvpx's own decoding: V8 zeroes it, the kernel faults its pages in on the first write, and
 * glibc hands it back to the system when it is collected. The decoders write into a buffer taken
 * from here (native/video.ts `decode(frame, into)`), and a frame's buffer comes back here once
 * nobody reads it any more: at once when no page shows it, or as 'spent' from the main process
 * after the page's link has sent or copied it (contract/video.ts).
 *
 * Bounded: at most `max` buffers wait, and a buffer only ever serves a frame of exactly its size.
 */
export class FramePool {
  readonly #max: number;
  #spare: Uint8Array[] = [];

  constructor(max = 4) {
    this.#max = max;
  }

  /** A buffer of exactly `bytes`, if one waits. */
  take(bytes: number): Uint8Array | undefined {
    for (let i = this.#spare.length - 1; i >= 0; i--) {
      const b = this.#spare[i];
      if (b.byteLength !== bytes) continue;
      this.#spare.splice(i, 1);
      return b;
    }
    return undefined;
  }

  /**
   * Hands `buffer` back. Only a whole, unshared buffer is kept (a view into a bigger one, or one
   * moved to another thread, is left alone); when full, the oldest goes (sizes change with the
   * picture, so the newest are the likeliest to fit).
   */
  give(buffer: Uint8Array): void {
    if (buffer.byteLength === 0 || buffer.byteOffset !== 0 || !(buffer.buffer instanceof ArrayBuffer) || buffer.buffer.byteLength !== buffer.byteLength) return;
    if (this.#spare.includes(buffer)) return;
    this.#spare.push(buffer);
    if (this.#spare.length > this.#max) this.#spare.shift();
  }

  /** Lets every buffer go (no video stream left). */
  clear(): void {
    this.#spare = [];
  }

  get size(): number {
    return this.#spare.length;
  }
}
