// The media engine runs in a worker thread (DESIGN.md, "Where the media engine runs"): the addon
// must load there too, beside the main thread's copy, and survive the worker's exit.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { createCodec } from '../../../native/index.ts';

const INDEX = new URL('../../../native/index.ts', import.meta.url).href;

// The worker imports index.ts itself (Node strips the types), encodes and protects a frame.
const WORKER_SOURCE = `
  const { parentPort } = await import('node:worker_threads');
  const native = await import(${JSON.stringify(INDEX)});
  const codec = native.createCodec('opus', { sampleRate: 16000 });
  const packet = codec.encode(new Int16Array(320).map((_, i) => Math.round(4000 * Math.sin(i / 5))));
  const pcm = codec.decode(packet);
  const key = new Uint8Array(30).fill(7);
  const out = new native.SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', key, direction: 'outbound' });
  const inb = new native.SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', key, direction: 'inbound' });
  const rtp = new Uint8Array(40); rtp[0] = 0x80; rtp[3] = 1;
  const back = inb.unprotectRtp(out.protectRtp(rtp));
  parentPort.postMessage({ samples: pcm.length, rtp: back.length, codecs: native.codecNames().length });
`;

function runWorker(): Promise<{ samples: number; rtp: number; codecs: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true }); // top-level await: run as a module (syntax detection)
    worker.once('message', (m) => {
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', reject);
  });
}

describe('the addon in worker threads', () => {
  it('loads and works in two workers at once and in the main thread after they exit', async () => {
    const main = createCodec('pcmu');
    const results = await Promise.all([runWorker(), runWorker()]);
    for (const r of results) expect(r).toEqual({ samples: 320, rtp: 40, codecs: 6 });
    expect(main.decode(main.encode(new Int16Array(160))).length).toBe(160);
    main.close();
  });
});
