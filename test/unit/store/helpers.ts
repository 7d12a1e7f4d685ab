/** Temporary folders and a hand-driven clock for the store's tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Store } from '../../../main/store/index.ts';

const dirs: string[] = [];
const stores: Store[] = [];

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder, removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'appel-store-'));
  dirs.push(d);
  return d;
}

/** 2025-01-02T03:04:05Z, moved by hand. */
export function fakeClock(start = Date.UTC(2025, 0, 2, 3, 4, 5)) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

/** A store in a fresh file, closed after the test (closing twice is harmless). */
export function openStore(opts: { path?: string; now?: () => number } = {}): Store {
  const store = Store.open({ path: opts.path ?? join(tempDir(), 'appel.db'), now: opts.now ?? fakeClock().now });
  stores.push(store);
  return store;
}
