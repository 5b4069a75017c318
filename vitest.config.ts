import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // e2e files start sipp and siplb on fixed loopback ports: run files one at a time
    // within the e2e tier; unit files are cheap and parallel.
    fileParallelism: true,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
