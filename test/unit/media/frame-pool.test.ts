// The decoded-frame buffers the video engine writes again (main/media/video/frame-pool.ts).
import { describe, expect, it } from 'vitest';
import { FramePool } from '../../../main/media/video/frame-pool.ts';

describe('FramePool', () => {
  it('gives back a buffer of exactly the size asked for, once', () => {
    const pool = new FramePool();
    const small = new Uint8Array(100);
    const big = new Uint8Array(200);
    pool.give(small);
    pool.give(big);
    expect(pool.take(150)).toBeUndefined();
    expect(pool.take(200)).toBe(big);
    expect(pool.take(200)).toBeUndefined();
    expect(pool.take(100)).toBe(small);
    expect(pool.size).toBe(0);
  });

  it('keeps at most its bound, the newest; a buffer given twice is kept once', () => {
    const pool = new FramePool(2);
    const [a, b, c] = [new Uint8Array(10), new Uint8Array(10), new Uint8Array(10)];
    pool.give(a);
    pool.give(a);
    expect(pool.size).toBe(1);
    pool.give(b);
    pool.give(c);
    expect(pool.size).toBe(2);
    expect([pool.take(10), pool.take(10), pool.take(10)]).toEqual([c, b, undefined]);
  });

  it('refuses views into a bigger buffer, shared memory and emptied (moved) buffers', () => {
    const pool = new FramePool();
    pool.give(new Uint8Array(new ArrayBuffer(20), 4, 10));
    pool.give(new Uint8Array(new SharedArrayBuffer(10)));
    const moved = new Uint8Array(10);
    structuredClone(moved.buffer, { transfer: [moved.buffer] });
    pool.give(moved);
    expect(pool.size).toBe(0);
    pool.give(new Uint8Array(10));
    pool.clear();
    expect(pool.size).toBe(0);
  });
});
