// The per-frame outputs of the addon (encode, decode, resample) are views into a shared slab
// (native/src/addon.h, OutputSlab): fresh, never overlapping, left alone by later calls.
import { describe, expect, it } from 'vitest';

import { createCodec, Resampler, type CodecName } from '../../../native/index.ts';

const SLAB_BYTES = 64 * 1024;
const CODECS: CodecName[] = ['opus', 'g722', 'pcmu', 'pcma', 'g729', 'gsm'];

function tone(n: number, step: number): Int16Array {
  return new Int16Array(n).map((_, i) => Math.round(6000 * Math.sin(i * step)));
}

describe('the addon output slab', () => {
  it.each(CODECS)('%s: encode and decode give views of one slab that never overlap', (name) => {
    const codec = createCodec(name);
    const pcm = tone(codec.frameSamples, 0.3);
    const outputs: (Uint8Array | Int16Array)[] = [];
    for (let i = 0; i < 4; i++) {
      const packet = codec.encode(pcm);
      outputs.push(packet, codec.decode(packet), codec.decode(null));
    }
    codec.close();
    for (const o of outputs) expect(o.buffer.byteLength).toBe(SLAB_BYTES);
    const spans = outputs
      .filter((o) => o.buffer === outputs[0].buffer)
      .map((o) => [o.byteOffset, o.byteOffset + o.byteLength])
      .sort((a, b) => a[0] - b[0]);
    expect(spans.length).toBeGreaterThan(1);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
  });

  it('an output keeps its samples however many calls follow (bytes are never handed out twice)', () => {
    const codec = createCodec('pcmu');
    const first = codec.decode(codec.encode(tone(160, 0.2)));
    const copy = first.slice();
    // 2000 frames: more than 10 slabs' worth of outputs.
    for (let i = 0; i < 1000; i++) codec.decode(codec.encode(tone(160, 0.05 * i)));
    expect(first).toEqual(copy);
    codec.close();
  });

  it('an output above 4 KB gets an array of its own', () => {
    const r = new Resampler({ from: 8000, to: 48000 });
    const out = r.process(tone(8000, 0.1)); // 1 s: ~48000 samples
    expect(out.length).toBeGreaterThan(40000);
    expect(out.byteOffset).toBe(0);
    expect(out.buffer.byteLength).toBe(out.byteLength);
    const small = r.process(tone(160, 0.1));
    expect(small.buffer.byteLength).toBe(SLAB_BYTES);
    r.close();
  });
});
