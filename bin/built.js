/**
 * Which file a command runs: the compiled JavaScript in dist/ (`npm run build`, also run by
 * `npm ci`/`npm install` through `prepare`) when it is up to date, else the TypeScript source,
 * which Node 24 runs by stripping its types. The compiled tree is lighter (no type stripper
 * loaded: about 30 MB less resident) and starts faster; the sources are the truth. So the build
 * is used only when every engine source (main/ but the Electron shell, and native/index.ts) has
 * its .js in dist/ no older than itself: an edit, a checkout or a pull since the last build
 * sends every command, and every test that runs one, back to the sources until the next build —
 * never to stale code. Checking takes a few milliseconds (one stat per source file).
 * Plain JavaScript, so any Node can read it.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The engine's sources that the build compiles (main/tsconfig.build.json). */
function* sources(root, dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== join(root, 'main', 'app')) yield* sources(root, path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** True when dist/ holds a compiled file, no older than its source, for every engine source. */
export function buildIsFresh(root = ROOT) {
  try {
    for (const source of [...sources(root, join(root, 'main')), join(root, 'native', 'index.ts')]) {
      const compiled = join(root, 'dist', relative(root, source)).replace(/\.ts$/, '.js');
      if (statSync(compiled).mtimeMs < statSync(source).mtimeMs) return false;
    }
    return true;
  } catch {
    return false; // a compiled file is missing (never built, or a new source since)
  }
}

/**
 * The file to run for `source` (a path from the repository's root, e.g. 'main/cli.ts'): its
 * compiled twin when the build under `root` is fresh, else the source itself. APPEL_SOURCES=1 forces the
 * sources (debugging with the real line numbers).
 */
export function entry(source, root = ROOT) {
  const fresh = process.env.APPEL_SOURCES !== '1' && buildIsFresh(root);
  return fresh ? join(root, 'dist', source.replace(/\.ts$/, '.js')) : join(root, source);
}
