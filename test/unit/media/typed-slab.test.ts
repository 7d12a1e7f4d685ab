// The media path's typed arrays carved from shared slabs (main/media/typed-slab.ts).
import { describe, expect, it } from 'vitest';
import { TypedSlab } from '../../../main/media/typed-slab.ts';

const range = (a: Int16Array | Uint8Array): [number, number] => [a.byteOffset, a.byteOffset + a.byteLength];

describe('TypedSlab', () => {
  it('gives views of one slab that never overlap, each 8-byte aligned, of the length asked for', () => {
    const slab = new TypedSlab({ slabBytes: 1024 });
    const views = [slab.int16(3), slab.bytes(5), slab.int16(160), slab.bytes(172), slab.int16(1)];
    expect(views.map((v) => v.length)).toEqual([3, 5, 160, 172, 1]);
    expect(new Set(views.map((v) => v.buffer)).size).toBe(1);
    expect(views[0].buffer.byteLength).toBe(1024);
    const spans = views.map(range).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    for (const v of views) expect(v.byteOffset % 8).toBe(0);
  });

  it('gives zeroed arrays, and writing one leaves the others alone', () => {
    const slab = new TypedSlab({ slabBytes: 4096 });
    const a = slab.int16(160);
    a.fill(-1);
    const b = slab.int16(160);
    const c = slab.bytes(172);
    expect(b.every((x) => x === 0)).toBe(true);
    expect(c.every((x) => x === 0)).toBe(true);
    b.fill(7);
    c.fill(9);
    expect(a.every((x) => x === -1)).toBe(true);
  });

  it('starts a new slab when the current one is full, and never hands out its bytes again', () => {
    const slab = new TypedSlab({ slabBytes: 1000 });
    const first = slab.bytes(600);
    const second = slab.bytes(600);
    expect(second.buffer).not.toBe(first.buffer);
    expect(second.byteOffset).toBe(0);
    first.fill(1);
    const third = slab.bytes(300);
    expect(third.buffer).toBe(second.buffer);
    expect(third.byteOffset).toBe(600);
    expect(third.every((x) => x === 0)).toBe(true);
  });

  it('gives a big request an array of its own', () => {
    const slab = new TypedSlab({ slabBytes: 1024, maxRequest: 256 });
    const big = slab.int16(200);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(400);
    const small = slab.bytes(16);
    expect(small.buffer.byteLength).toBe(1024);
    expect(small.byteOffset).toBe(0); // the big one took nothing from the slab
  });
});
