/**
 * Preloaded into Appel's command line by memory-where.ts (`--import`): on SIGUSR2 it appends one
 * JSON line to the file named by APPEL_MEMORY_PROBE: the process's memory, the main thread's V8
 * heap (per space) and each live worker's heap (the media engine), read from inside. Workers are
 * seen by wrapping worker_threads.Worker before the engine imports it. Plain JavaScript: it runs
 * before any type stripping. Diagnostics only; nothing of the app imports it.
 */
import { appendFileSync } from 'node:fs';
import process from 'node:process';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import v8 from 'node:v8';
import { isMainThread } from 'node:worker_threads';

const out = process.env.APPEL_MEMORY_PROBE;
if (isMainThread && out) {
  const threads = createRequire(import.meta.url)('node:worker_threads');
  const workers = new Set();
  const Base = threads.Worker;
  threads.Worker = class extends Base {
    constructor(...args) {
      super(...args);
      workers.add(this);
      this.on('exit', () => workers.delete(this));
    }
  };
  syncBuiltinESMExports();
  const spaces = () => Object.fromEntries(v8.getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size, physical: s.physical_space_size }]));
  process.on('SIGUSR2', () => {
    void (async () => {
      const line = { memory: process.memoryUsage(), heap: v8.getHeapStatistics(), spaces: spaces(), workers: [] };
      for (const w of workers) {
        try {
          line.workers.push(await w.getHeapStatistics());
        } catch {
          // exiting
        }
      }
      appendFileSync(out, `${JSON.stringify(line)}\n`);
    })();
  });
}
