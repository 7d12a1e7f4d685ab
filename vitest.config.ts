import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// One runner, several projects (STYLE.md "Tests"): `npm test` runs them all.
/**
 * V8's JIT-page tracking with memory protection keys (PKU hardware) can abort a process that
 * creates and ends worker threads and WebAssembly code at a fast rate ("Check failed:
 * jit_page.has_value()", a known V8 bug in the Node 24 line); the test workers run without it.
 */
const NODE_FLAGS = ['--no-memory-protection-keys'];

export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    projects: [
      {
        test: {
          execArgv: NODE_FLAGS,
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts'],
          exclude: ['test/unit/renderer/**'], // the `dom` project runs these
          // Unit tests first, then the interop suite (projects with different worker limits
          // must sit in different groups).
          sequence: { groupOrder: 0 },
          testTimeout: 20_000,
        },
      },
      {
        test: {
          execArgv: NODE_FLAGS,
          name: 'interop',
          environment: 'node',
          include: ['test/interop/**/*.test.ts', 'test/security/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          // Real peers on loopback: each file starts its own peers in its own network
          // namespace (so ports never clash) and bounds every wait. Files run one at a time:
          // real-time audio checks (tones, levels, jitter) must not compete with another
          // file's phones for the machine's two cores.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          maxWorkers: 1,
        },
      },
      {
        // The renderer's stores and components in happy-dom (with the fake `window.appel`).
        plugins: [vue()],
        test: {
          execArgv: NODE_FLAGS,
          name: 'dom',
          environment: 'happy-dom',
          include: ['test/unit/renderer/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          testTimeout: 20_000,
        },
      },
      {
        // The UI in Debian's Chromium against the real engine and bridge on loopback.
        test: {
          execArgv: NODE_FLAGS,
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          sequence: { groupOrder: 3 },
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
