#!/usr/bin/env bash
# Runs every test project of Operator.sln and ends with one line: "N passed, N failed, N skipped".
# Extra arguments go to `dotnet test` (for example: hack/test.sh --filter-class '*CrdDrift*').
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test --solution Operator.sln --no-progress "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# The Microsoft.Testing.Platform summary lists total/failed/succeeded/skipped for the whole run.
summary=$(sed -n '/Test run summary/,$p' "$log")
num() { grep -E "^\s*$1:" <<<"$summary" | tail -1 | grep -oE '[0-9]+' | head -1; }
passed=$(num succeeded); failed=$(num failed); skipped=$(num skipped)
if [[ -z $passed ]]; then
  echo "no test summary found (the build failed or no tests ran)"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
echo "${passed} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$rc"
