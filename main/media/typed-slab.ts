/**
 * Fresh, zeroed typed arrays for the media path, carved out of shared slabs.
 *
 * A `new Int16Array(160)` is more than V8 keeps on its own heap (64 bytes), so every one gets a
 * backing store of its own: a malloc, external-memory accounting and a finalizer for the garbage
 * collector — about 1.5–2 µs each, and a busy media worker made five of them per stream per
 * 20 ms frame (the source's frame, the RTP packet, the played frame…). Views into one 64 KB
 * ArrayBuffer cost a twentieth of that. It is Node's own Buffer pool, for Int16Array too.
 *
 * A view is as good as a `new` array: zeroed (a slab's bytes are handed out once and never
 * again, so nothing is shared or reused), its own `length`. What differs: `byteOffset` is not 0
 * and `buffer` is the whole slab, so code that transfers `buffer` to another thread or wraps
 * `buffer` without the offset must copy first (`slice()`), as DeviceBridge and the video
 * engine do. A view keeps its slab alive, so frames held for long (a recorder's queue) should
 * still be copies.
 */

/** Bytes per slab. */
export const SLAB_BYTES = 64 * 1024;
/** Requests above this get an array of their own: they are rare, and would waste a slab. */
export const SLAB_MAX_REQUEST = 4 * 1024;

export class TypedSlab {
  readonly #slabBytes: number;
  readonly #maxRequest: number;
  #slab: ArrayBuffer;
  #used = 0;

  constructor(options: { slabBytes?: number; maxRequest?: number } = {}) {
    this.#slabBytes = options.slabBytes ?? SLAB_BYTES;
    this.#maxRequest = Math.min(options.maxRequest ?? SLAB_MAX_REQUEST, this.#slabBytes);
    this.#slab = new ArrayBuffer(this.#slabBytes);
  }

  /** `n` zeroed samples. */
  int16(n: number): Int16Array {
    const bytes = n * 2;
    if (bytes > this.#maxRequest) return new Int16Array(n);
    const at = this.#take(bytes);
    return new Int16Array(this.#slab, at, n);
  }

  /** `n` zeroed bytes. */
  bytes(n: number): Uint8Array {
    if (n > this.#maxRequest) return new Uint8Array(n);
    const at = this.#take(n);
    return new Uint8Array(this.#slab, at, n);
  }

  /** The offset of `bytes` fresh bytes in the current slab (a new slab when it is full). */
  #take(bytes: number): number {
    if (this.#used + bytes > this.#slabBytes) {
      this.#slab = new ArrayBuffer(this.#slabBytes);
      this.#used = 0;
    }
    const at = this.#used;
    // 8-byte alignment: any typed array may view what follows.
    this.#used = (at + bytes + 7) & ~7;
    return at;
  }
}

/** The media worker's slab (one per thread: each worker loads its own copy of this module). */
export const mediaSlab = new TypedSlab();
