// Prints the one closing line CI reads: "N passed, N failed[, N skipped]", from the JSON reporter
// output of one or more vitest runs plus the counts of non-vitest checks (build, lint, typecheck).
// Usage: vitest-summary.mjs EXTRA_PASSED EXTRA_FAILED RESULTS.json [RESULTS.json ...]
// Exits 1 when anything failed or a results file is missing.
import { readFileSync } from 'node:fs';

const [extraPass = '0', extraFail = '0', ...files] = process.argv.slice(2);
let passed = Number(extraPass);
let failed = Number(extraFail);
let skipped = 0;
if (files.length === 0) {
  console.error('vitest-summary: no results file given');
  failed += 1;
}
for (const file of files) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  } catch (err) {
    console.error(`vitest-summary: cannot read ${file}: ${err.message}`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
