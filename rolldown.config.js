/**
 * `npm run build` (also run by `npm ci`/`npm install` through `prepare`): the command line, the
 * dev:web server and the media worker, each bundled from the TypeScript sources into one ES
 * module file in dist/node/ (shared code in chunks beside them). Node then loads a few files of
 * plain JavaScript instead of stripping the types of about 170 modules at every start: an idle
 * `appel listen` holds about 60 MB instead of 107, and starts faster. npm packages stay outside
 * (imported from node_modules at run time); the native addon is found from dist/node/ as from
 * dist/native/ (native/index.ts), the worker beside its client (media-engine-client.ts).
 * bin/built.js runs these files only while they are newer than every source.
 */
import { defineConfig } from 'rolldown';
import { ENTRIES } from './bin/built.js';

export default defineConfig({
  input: ENTRIES,
  platform: 'node',
  // npm packages (ws, vite) are imported from node_modules, as from the sources.
  external: [/^[^./]/],
  output: {
    dir: 'dist/node',
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    // The source keeps the comments; the copy that runs does not hold them in memory.
    comments: false,
    // Non-ASCII characters (é, →, · in messages) as \u escapes: V8 holds a module's source text
    // for as long as the module lives, at one byte a character when all of it is Latin-1, else
    // two. The engine's chunk was ~460 KB of text held as 920 KB on the heap.
    charset: 'ascii',
    cleanDir: true,
  },
});
