import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The unit tier alone, without the tier projects of the root vitest.config.ts: what Stryker runs
// against every mutant (stryker.config.json). No sockets, fake timers: fast and deterministic.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
