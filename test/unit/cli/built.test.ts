/**
 * bin/built.js: a command runs the bundle in dist/node/ only while it is newer than every engine
 * source; otherwise the sources (never stale code).
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript without declarations (bin/ runs under any Node)
import { buildIsFresh, entry } from '../../../bin/built.js';

const fresh = buildIsFresh as (root: string) => boolean;
const entryOf = entry as (source: string, root: string) => string;

let root: string;
const put = (path: string, mtimeS: number): void => {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, '');
  utimesSync(full, mtimeS, mtimeS);
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'appel-built-'));
  put('main/cli.ts', 1000);
  put('main/sip/a.ts', 1000);
  put('native/index.ts', 1000);
  for (const name of ['cli', 'dev-web', 'worker-host']) put(`dist/node/${name}.js`, 2000);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('bin/built.js', () => {
  it('runs the bundle when every source is older than the build', () => {
    expect(fresh(root)).toBe(true);
    expect(entryOf('main/cli.ts', root)).toBe(join(root, 'dist/node/cli.js'));
    expect(entryOf('main/bridge/dev-web.ts', root)).toBe(join(root, 'dist/node/dev-web.js'));
  });

  it('runs the sources when one source was edited after the build', () => {
    put('main/sip/a.ts', 3000);
    expect(fresh(root)).toBe(false);
    expect(entryOf('main/cli.ts', root)).toBe(join(root, 'main/cli.ts'));
  });

  it('runs the sources when a new source came after the build, or there is no build', () => {
    put('main/sip/b.ts', 3000);
    expect(fresh(root)).toBe(false);
    put('main/sip/b.ts', 1000);
    rmSync(join(root, 'dist/node/worker-host.js'));
    expect(fresh(root)).toBe(false);
    rmSync(join(root, 'dist'), { recursive: true });
    expect(entryOf('main/cli.ts', root)).toBe(join(root, 'main/cli.ts'));
  });

  it('refuses a file that is not an entry of the build', () => {
    expect(() => entryOf('main/sip/a.ts', root)).toThrow(/not built/);
  });

  it("looks at the addons' loaders (native/*.ts) too", () => {
    put('native/video.ts', 3000);
    expect(fresh(root)).toBe(false);
  });

  it('does not look at the Electron shell, which its own build compiles, nor at the addons\' C++', () => {
    put('main/app/main.ts', 3000);
    put('native/src/addon.cc', 3000);
    expect(fresh(root)).toBe(true);
  });
});
