import { defineConfig } from 'vitest/config';

// Three projects, one per tier. Unit and integration files run in parallel; e2e files start sipp
// and siplb on loopback ports and load the machine on purpose, so they run one at a time
// (fileParallelism false gives the e2e project one worker, in a group of its own after the rest).
// A file filter still works across projects: `npx vitest run test/unit`.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false } },
    ],
  },
});
