/**
 * bin/built.js: a command runs the compiled tree only while every engine source has its .js in
 * dist/ no older than itself; otherwise the sources (never stale code).
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
  put('dist/main/cli.js', 2000);
  put('dist/main/sip/a.js', 2000);
  put('dist/native/index.js', 2000);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('bin/built.js', () => {
  it('runs the compiled file when every source is older than its build', () => {
    expect(fresh(root)).toBe(true);
    expect(entryOf('main/cli.ts', root)).toBe(join(root, 'dist/main/cli.js'));
  });

  it('runs the sources when one source was edited after the build', () => {
    put('main/sip/a.ts', 3000);
    expect(fresh(root)).toBe(false);
    expect(entryOf('main/cli.ts', root)).toBe(join(root, 'main/cli.ts'));
  });

  it('runs the sources when a new source has no compiled file yet, or there is no build', () => {
    put('main/sip/b.ts', 1000);
    expect(fresh(root)).toBe(false);
    rmSync(join(root, 'dist'), { recursive: true });
    expect(entryOf('main/cli.ts', root)).toBe(join(root, 'main/cli.ts'));
  });

  it('does not look at the Electron shell, which its own build compiles', () => {
    put('main/app/main.ts', 3000);
    expect(fresh(root)).toBe(true);
  });
});
