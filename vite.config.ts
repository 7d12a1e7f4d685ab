import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';
import { precompileMessages } from './renderer/build/precompile-messages.ts';
import { firstScreenChunk } from './renderer/build/first-screen-chunk.ts';

/** The catalogues of the UI's words, compiled at build time (renderer/build/precompile-messages.ts). */
const CATALOGUES = ['en', 'fr', 'video'].map((name) => fileURLToPath(new URL(`./renderer/src/i18n/${name}.ts`, import.meta.url)));

/**
 * `<script src="./bridge-boot.js" async>` at the end of the page's head (after its policy): in a
 * plain browser it opens the engine's socket while the bundle loads (renderer/public/bridge-boot.js
 * says why). Added after Vite's own pass over the HTML, which would otherwise warn that a classic
 * script is not bundled: it is not meant to be.
 */
function bridgeBoot(): Plugin {
  return {
    name: 'appel:bridge-boot',
    transformIndexHtml: {
      order: 'post',
      handler: () => [{ tag: 'script', attrs: { src: './bridge-boot.js', async: true }, injectTo: 'head' }],
    },
  };
}

const firstScreen = firstScreenChunk();

/**
 * The renderer (DESIGN.md "renderer/"): built to dist/renderer with relative asset paths, so the
 * same files load from `file://` in Electron and from the loopback bridge in a browser
 * (`npm run dev:web`).
 */
export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [vue(), bridgeBoot(), precompileMessages({ files: CATALOGUES }), firstScreen.plugin],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2023',
    // No eval anywhere: the page runs under a strict Content-Security-Policy.
    sourcemap: false,
    // What the first screen runs, in one file (renderer/build/first-screen-chunk.ts).
    rolldownOptions: { output: { codeSplitting: { groups: [{ name: 'first-screen', test: firstScreen.test }] } } },
  },
  define: {
    // vue-i18n: every message is a function made at build time (precompileMessages), so the run-time
    // message compiler is left out; JIT mode keeps vue-i18n free of `new Function` (CSP-safe).
    __INTLIFY_JIT_COMPILATION__: true,
    __INTLIFY_DROP_MESSAGE_COMPILER__: true,
    __VUE_OPTIONS_API__: false,
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
  },
  server: { host: '127.0.0.1', strictPort: false },
  logLevel: 'warn',
});
