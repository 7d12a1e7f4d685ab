// appel_memory.node (native/memory.ts): the main thread loads it once the media worker has
// stopped, to hand the worker's freed malloc memory back. It must not load a codec library there.
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { trimMemory } from '../../../native/memory.ts';

const MEMORY = new URL('../../../native/memory.ts', import.meta.url).href;
const NATIVE = new URL('../../../native/index.ts', import.meta.url).href;

/** The shared objects a fresh Node process has mapped after running `script` (an ES module). */
function librariesAfter(script: string): string[] {
  const source = `${script}\nconsole.log((await import('node:fs')).readFileSync('/proc/self/maps', 'utf8'));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' });
  return [...new Set(out.split('\n').map((line) => line.split(/\s+/)[5] ?? '').filter((path) => path.includes('.so')))];
}

describe('trimMemory', () => {
  it.runIf(process.platform === 'linux')('loads no codec or SRTP library, where the codec addon loads them all', () => {
    const alone = librariesAfter(`const m = await import(${JSON.stringify(MEMORY)}); m.trimMemory();`);
    for (const lib of ['libopus', 'libsrtp2', 'libspandsp', 'libnss3']) expect(alone.some((path) => path.includes(lib)), lib).toBe(false);
    // The same check sees them when the codec addon is loaded: it can fail.
    const codecs = librariesAfter(`const n = await import(${JSON.stringify(NATIVE)}); n.createCodec('pcmu');`);
    for (const lib of ['libopus', 'libsrtp2', 'libspandsp']) expect(codecs.some((path) => path.includes(lib)), lib).toBe(true);
  });

  it('returns whether memory went back, and hands back what a stopped worker freed', async () => {
    trimMemory();
    // A worker that mallocs and frees (codec states, outputs) and stops: its arena keeps the pages.
    const worker = new Worker(
      `const native = await import(${JSON.stringify(NATIVE)});
       const codecs = Array.from({ length: 200 }, () => native.createCodec('opus', { sampleRate: 48000 }));
       for (const c of codecs) c.encode(new Int16Array(960));
       for (const c of codecs) c.close();
       (await import('node:worker_threads')).parentPort.postMessage('done');`,
      { eval: true },
    );
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    const released = trimMemory();
    expect(typeof released).toBe('boolean');
    if ((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime) expect(released).toBe(true);
  });
});
