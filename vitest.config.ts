import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Vitest keeps each file's last duration here and starts the longest files first; outside
  // node_modules, so that `npm ci` in .ci/run does not forget them.
  cacheDir: '.cache/vite',
  test: {
    // The JSON report feeds the pass/fail summary line printed by .ci/run (`--outputFile` moves it).
    reporters: ['default', 'json'],
    outputFile: 'test-results/vitest.json',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts'],
          exclude: ['packages/*/test/**/*.int.test.ts'],
          // Projects with different worker counts must run in separate groups.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.int.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Each file starts its own server processes; two cores bound the useful parallelism.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          // A browser plus a server process per file, and the first run may build the website.
          // Two files at once: a browser test mostly waits (for the page, the server, the app).
          testTimeout: 180_000,
          hookTimeout: 300_000,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
