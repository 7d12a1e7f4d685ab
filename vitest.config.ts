import { defineConfig } from 'vitest/config';

// One runner, several projects (STYLE.md "Tests"): `npm test` runs them all.
export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts'],
          // Unit tests first, then the interop suite (projects with different worker limits
          // must sit in different groups).
          sequence: { groupOrder: 0 },
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'interop',
          environment: 'node',
          include: ['test/interop/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          // Real peers on loopback: each file starts its own peers in its own network
          // namespace, so files may run in parallel; waits are bounded inside the tests.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
