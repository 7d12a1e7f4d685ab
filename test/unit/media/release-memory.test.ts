// release-memory.ts: once an engine has stopped, V8's garbage of this thread is collected at once
// (an idle phone allocates nothing, so no collection would come) before malloc is trimmed.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const RELEASE = new URL('../../../main/media/release-memory.ts', import.meta.url).href;

describe('releaseMemory', () => {
  it('frees the backing stores of ArrayBuffers nothing holds any more, which no collection had freed', () => {
    // A fresh process: 40 MB of ArrayBuffers dropped, then measured before and after.
    const script = `
      let held = [];
      for (let i = 0; i < 40; i++) held.push(new ArrayBuffer(1 << 20));
      held = null;
      const before = process.memoryUsage().arrayBuffers;
      const { releaseMemory } = await import(${JSON.stringify(RELEASE)});
      const alive = setInterval(() => undefined, 1000); // its wait does not hold a process open by itself
      await releaseMemory();
      clearInterval(alive);
      console.log(JSON.stringify({ before, after: process.memoryUsage().arrayBuffers }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const { before, after } = JSON.parse(out) as { before: number; after: number };
    expect(before).toBeGreaterThan(40 << 20);
    expect(after).toBeLessThan(4 << 20);
  });
});
