/**
 * @module test/helpers/prerequisites
 * A suite that needs tools or kernel features skips where they are missing on a developer's
 * machine, but on CI (CI=true) a missing prerequisite is a failure: a test named after the suite
 * fails with the reason, so the run goes red instead of green-with-nothing-run.
 * scripts/vitest-summary.mjs also fails a CI run on any skip not in scripts/skip-allow-list.txt.
 */
import { describe, it } from 'vitest';

export const ON_CI = process.env.CI === 'true';

/**
 * Call at module level with the suite's skip reason (undefined when it can run). Off CI it warns
 * and returns true (skip); on CI it registers a failing test and returns true as well, so the
 * suite itself is not started without its tools.
 */
export function missingPrerequisites(suite: string, reason: string | undefined): boolean {
  if (reason === undefined) return false;
  if (ON_CI) {
    describe(suite, () => {
      it('has its prerequisites (CI=true: missing tools fail the run, they do not skip it)', () => {
        throw new Error(`${suite}: cannot run on this CI machine: ${reason} (scripts/install-test-deps.sh installs the tools)`);
      });
    });
  } else {
    console.warn(`${suite}: skipped: ${reason}`);
  }
  return true;
}
