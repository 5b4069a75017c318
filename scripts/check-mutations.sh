#!/usr/bin/env bash
# The five hand-made mutations of issue 21, applied one at a time to src/: each must make at least
# one unit test fail. Prints "mutation → failing tests" and exits 1 if any mutation survives.
# Restores every file it touched (also on Ctrl-C). Slow-ish: one unit-tier run per mutation.
# Usage: bash scripts/check-mutations.sh [NAME ...]   (default: all five)
set -uo pipefail
cd "$(dirname "$0")/.."

# name | file | perl substitution (must change the file)
MUTATIONS=(
  'loop-check-off|src/proxy/request-path.ts|s/if \(isLoop\(ctx, req, vias\)\)/if (false \&\& isLoop(ctx, req, vias))/'
  'max-forwards-not-decremented|src/proxy/request-path.ts|s/insert: String\(mf - 1\)/insert: String(mf)/'
  'no-backend-500|src/proxy/request-path.ts|s/reject\(ctx\.sender, req, from, 503, .no-backend./reject(ctx.sender, req, from, 500, '"'"'no-backend'"'"'/'
  'no-cancel-of-abandoned-branch|src/proxy/serial-failover.ts|s/^(\s*)(this\.#ctx\.sender\.send\(buildCancel\()/$1\/\/ $2/m'
  'no-timer-e|src/health/prober.ts|s/^(\s*)this\.#armRetransmit\(f\);\n(\s*\}\n\n\s*#armRetransmit)/$1\/\/ mutated: no retransmission\n$2/m'
)

backup=$(mktemp -d)
restore() { for f in "$backup"/*; do [ -e "$f" ] && cp "$f" "src/$(basename "$f" | tr '%' '/')"; done; }
trap 'restore; rm -rf "$backup"' EXIT

survived=0
for m in "${MUTATIONS[@]}"; do
  IFS='|' read -r name file expr <<<"$m"
  if [ "$#" -gt 0 ] && [[ ! " $* " == *" $name "* ]]; then continue; fi
  key=$(echo "${file#src/}" | tr '/' '%')
  cp "$file" "$backup/$key"
  perl -0pi -e "$expr" "$file"
  if cmp -s "$file" "$backup/$key"; then
    echo "$name: the substitution did not apply to $file (source changed?): fix the mutation" >&2
    survived=1
    continue
  fi
  out=$(mktemp)
  npx vitest run test/unit --reporter=json --outputFile="$out" >/dev/null 2>&1
  failing=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const f of r.testResults) for (const t of f.assertionResults)
      if (t.status === "failed") console.log("  " + f.name.replace(process.cwd() + "/", "") + " > " + t.fullName);
  ' "$out")
  rm -f "$out"
  cp "$backup/$key" "$file"
  if [ -z "$failing" ]; then
    echo "$name: SURVIVED (no unit test failed)"
    survived=1
  else
    echo "$name → $(echo "$failing" | wc -l) failing:"
    echo "$failing"
  fi
done
exit "$survived"
