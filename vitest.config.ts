import { defineConfig } from 'vitest/config';

// Two groups, one after the other: the unit tests on every core, then the
// end-to-end tests (namespaces, real routers, timing) one file at a time, so
// that no lab shares the machine with another.
export default defineConfig({
  test: {
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], sequence: { groupOrder: 1 }, fileParallelism: false } },
    ],
  },
});
