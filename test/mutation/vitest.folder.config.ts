import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The unit tier restricted to the test files named in MUTATION_TESTS (a glob, e.g.
// 'test/unit/balance/**/*.test.ts'): for a quick Stryker run over one folder on a busy machine.
// Other unit tests that would also kill its mutants are left out, so the score it gives is a
// lower bound of the score with test/mutation/vitest.config.ts.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: [process.env.MUTATION_TESTS ?? 'test/unit/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
