import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

/**
 * The renderer (DESIGN.md "renderer/"): built to dist/renderer with relative asset paths, so the
 * same files load from `file://` in Electron and from the loopback bridge in a browser
 * (`npm run dev:web`).
 */
export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2023',
    // No eval anywhere: the page runs under a strict Content-Security-Policy.
    sourcemap: false,
  },
  define: {
    // vue-i18n: messages compile to an AST at run time without `new Function` (CSP-safe).
    __INTLIFY_JIT_COMPILATION__: true,
    __INTLIFY_DROP_MESSAGE_COMPILER__: false,
    __VUE_OPTIONS_API__: false,
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
  },
  server: { host: '127.0.0.1', strictPort: false },
  logLevel: 'warn',
});
