/**
 * Which file a command runs: the bundle in dist/node/ (`npm run build`, rolldown.config.js; also
 * run by `npm ci`/`npm install` through `prepare` and before `npm test`) when it is up to date,
 * else the TypeScript source, which Node 24 runs by stripping its types. The bundle is lighter
 * (a few files, no type stripper: an idle `appel listen` holds about 60 MB instead of 107) and
 * starts faster; the sources are the truth. So the bundle is used only when it is newer than
 * every engine source (main/ but the Electron shell, which its own tsconfig compiles, and the
 * addons' loaders, native/*.ts): an edit, a checkout or a pull since the last build sends every command, and
 * every test that runs one, back to the sources until the next build — never to stale code.
 * Checking takes a few milliseconds (one stat per source file).
 * Plain JavaScript, so any Node can read it.
 */
import { readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What the build makes: its file in dist/node/ (without .js) → its source. */
export const ENTRIES = {
  cli: 'main/cli.ts',
  'dev-web': 'main/bridge/dev-web.ts',
  'worker-host': 'main/media/worker-host.ts',
};

/** The engine's sources that the bundle is made of, under `dir` (`deep`: its folders too). */
function* sources(root, dir, deep = true) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (deep && path !== join(root, 'main', 'app')) yield* sources(root, path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** True when every bundle entry exists and is no older than any engine source. */
export function buildIsFresh(root = ROOT) {
  try {
    const built = Math.min(...Object.keys(ENTRIES).map((name) => statSync(join(root, 'dist', 'node', `${name}.js`)).mtimeMs));
    for (const source of [...sources(root, join(root, 'main')), ...sources(root, join(root, 'native'), false)]) {
      if (statSync(source).mtimeMs > built) return false;
    }
    return true;
  } catch {
    return false; // never built
  }
}

/**
 * The file to run for `source` (a path from the repository's root, one of ENTRIES): its bundle
 * when the build under `root` is fresh, else the source itself. APPEL_SOURCES=1 forces the
 * sources (debugging with the real line numbers).
 */
export function entry(source, root = ROOT) {
  const name = Object.keys(ENTRIES).find((n) => ENTRIES[n] === source);
  if (name === undefined) throw new TypeError(`source: ${source} is not built (bin/built.js ENTRIES)`);
  const fresh = process.env.APPEL_SOURCES !== '1' && buildIsFresh(root);
  return fresh ? join(root, 'dist', 'node', `${name}.js`) : join(root, source);
}

/**
 * Node's on-disk code cache for what this process compiles (the bundle or the sources, and the
 * packages they load), in .tmp/compile-cache: a start after the first skips compiling the
 * engine's half-megabyte of JavaScript (about 40 ms of dev-web's start). Keyed by each file's
 * content, so an edited or rebuilt file is compiled afresh. APPEL_COMPILE_CACHE=0 turns it off.
 */
export function useCompileCache(root = ROOT) {
  if (process.env.APPEL_COMPILE_CACHE === '0') return;
  // Node 22.1 and later (an older Node reads this file too: bin/appel.js then starts Node 24).
  module.enableCompileCache?.(join(root, '.tmp', 'compile-cache'));
}
