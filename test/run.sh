#!/usr/bin/env bash
# The whole test suite: install what is missing, type-check, run vitest, print one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash test/setup.sh || exit 1
echo "== tsc --noEmit"
npx tsc --noEmit || { echo "0 passed, 1 failed (type check)"; exit 1; }
echo "== vitest"
mkdir -p .test-results
npx vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json "$@"
rc=$?
node_modules/.bin/node -e '
  const r = JSON.parse(require("fs").readFileSync(".test-results/vitest.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || echo "0 passed, 1 failed (no vitest report)"
exit $rc
