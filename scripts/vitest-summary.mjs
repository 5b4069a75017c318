// Prints the lines CI reads, from the JSON reporter output of one or more vitest runs plus the
// counts of non-vitest checks (build, lint, typecheck):
//   tier unit: N ran (N passed, N failed, N skipped)      one line per tier (unit, integration, e2e)
//   N passed, N failed[, N skipped]                         the closing line
// Usage: vitest-summary.mjs [--require-tiers unit,integration,e2e] EXTRA_PASSED EXTRA_FAILED RESULTS.json ...
// Exits 1 when anything failed, a results file is missing, a required tier ran no test, or — under
// CI=true — a test was skipped that scripts/skip-allow-list.txt does not allow.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { URL } from 'node:url';

const args = process.argv.slice(2);
let requiredTiers = [];
if (args[0] === '--require-tiers') {
  requiredTiers = args[1].split(',').filter(Boolean);
  args.splice(0, 2);
}
const [extraPass = '0', extraFail = '0', ...files] = args;
const ci = process.env.CI === 'true';
let passed = Number(extraPass);
let failed = Number(extraFail);
let skipped = 0;
const tiers = new Map(); // tier → { passed, failed, skipped }
const badSkips = [];

/** Allow-list lines: "file :: full name" or "file :: *"; comments and blanks ignored. */
function readAllowList() {
  const url = new URL('./skip-allow-list.txt', import.meta.url);
  const entries = [];
  for (const raw of readFileSync(url, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(' :: ');
    if (i < 0) throw new Error(`skip-allow-list.txt: no " :: " in "${line}"`);
    entries.push({ file: line.slice(0, i).trim(), name: line.slice(i + 4).trim() });
  }
  return entries;
}
const allow = readAllowList();
const allowed = (file, name) => allow.some((a) => a.file === file && (a.name === '*' || a.name === name));

function tierOf(file) {
  const m = /^test\/([^/]+)\//.exec(file);
  return m ? m[1] : 'other';
}

if (files.length === 0) {
  console.error('vitest-summary: no results file given');
  failed += 1;
}
for (const path of files) {
  let r;
  try {
    r = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    console.error(`vitest-summary: cannot read ${path}: ${err.message}`);
    failed += 1;
    continue;
  }
  for (const suite of r.testResults ?? []) {
    const file = relative(process.cwd(), suite.name);
    const tier = tierOf(file);
    const t = tiers.get(tier) ?? { passed: 0, failed: 0, skipped: 0 };
    tiers.set(tier, t);
    const failedBefore = t.failed;
    for (const test of suite.assertionResults ?? []) {
      if (test.status === 'passed') {
        t.passed++;
        passed++;
      } else if (test.status === 'failed') {
        t.failed++;
        failed++;
      } else {
        // 'pending' (skipped), 'skipped', 'todo', 'disabled'
        t.skipped++;
        skipped++;
        if (ci && !allowed(file, test.fullName)) badSkips.push(`${file} :: ${test.fullName}`);
      }
    }
    // A file that failed without a failing test (import error, failing hook) counts once.
    if (suite.status === 'failed' && t.failed === failedBefore) {
      t.failed++;
      failed++;
      console.error(`vitest-summary: ${file} failed outside any test: ${String(suite.message ?? '').split('\n')[0]}`);
    }
  }
}

for (const tier of new Set([...requiredTiers, ...tiers.keys()])) {
  const t = tiers.get(tier) ?? { passed: 0, failed: 0, skipped: 0 };
  const ran = t.passed + t.failed;
  console.log(`tier ${tier}: ${ran} ran (${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped)`);
  if (requiredTiers.includes(tier) && ran === 0) {
    console.error(`vitest-summary: tier ${tier} ran no test`);
    failed += 1;
  }
}
if (badSkips.length > 0) {
  console.error(`vitest-summary: CI=true and ${badSkips.length} test(s) skipped that scripts/skip-allow-list.txt does not allow:`);
  for (const s of badSkips) console.error(`  ${s}`);
  failed += badSkips.length;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
