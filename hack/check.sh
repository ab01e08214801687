#!/usr/bin/env bash
# `make check`, the quality gate CI runs: build (warnings are errors, Directory.Build.props), `dotnet format
# --verify-no-changes`, every test, the real-cluster suite again against the dev cluster (hack/e2e-dev.sh, as root),
# and the skip allow-list (hack/allowed-skips.txt): a test that skips for a reason not listed there counts as failed. Run it after the caches are prepared (`make check` does that first).
# The last line is "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "--- build (warnings are errors)"
if ! dotnet build Operator.sln -v q -nologo; then
  echo "check: the build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

format_failures=0
echo "--- dotnet format --verify-no-changes"
if ! dotnet format Operator.sln --verify-no-changes; then
  echo "check: dotnet format would change files (run: make fmt)"
  format_failures=1
fi

echo "--- tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
hack/test.sh --no-build | tee "$log"
test_rc=${PIPESTATUS[0]}
summary=$(tail -1 "$log")
if [[ ! $summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
  echo "check: no test summary"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
passed=${BASH_REMATCH[1]} failed=${BASH_REMATCH[2]} skipped=${BASH_REMATCH[3]}

# The real-cluster suite ran above and skipped (no cluster); here it runs against the dev cluster: the emulator, a
# gVisor node and the operator in-process (hack/e2e-dev.sh), so its scenarios are exercised on every run.
echo "--- the real-cluster suite against the dev cluster (hack/e2e-dev.sh)"
if [[ $(id -u) -eq 0 ]]; then
  hack/e2e-dev.sh | tee -a "$log"
  e2e_rc=${PIPESTATUS[0]}
  if [[ $(tail -1 "$log") =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    passed=$((passed + BASH_REMATCH[1])) failed=$((failed + BASH_REMATCH[2])) skipped=$((skipped + BASH_REMATCH[3]))
  else
    failed=$((failed + 1))
  fi
  if ((e2e_rc != 0)); then test_rc=$e2e_rc; fi
else
  # Reported as a skipped test, so the allow-list below decides.
  printf 'skipped hack/e2e-dev.sh\n  gVisor mode needs root (the dev cluster runs its sandboxes with runsc)\n' | tee -a "$log"
  skipped=$((skipped + 1))
fi

echo "--- skips (allowed: hack/allowed-skips.txt)"
mapfile -t allowed < <(grep -v -e '^#' -e '^[[:space:]]*$' hack/allowed-skips.txt)
unexpected=0
# The test run prints a skipped test as "skipped NAME" and, on the next line, its reason indented by two spaces.
while IFS=$'\t' read -r name reason; do
  ok=0
  for rule in "${allowed[@]}"; do
    name_pattern=${rule%%$'\t'*} reason_pattern=${rule#*$'\t'}
    # shellcheck disable=SC2053 # the patterns are globs on purpose
    if [[ $name == $name_pattern && $reason == $reason_pattern ]]; then ok=1; break; fi
  done
  if ((ok)); then
    echo "allowed: $name ($reason)"
  else
    echo "NOT ALLOWED: $name skipped: $reason"
    unexpected=$((unexpected + 1))
  fi
done < <(awk '/^skipped /{ name = $2; if ((getline line) > 0) { sub(/^ +/, "", line) } else { line = "" }; print name "\t" line }' "$log")

if ((format_failures + unexpected > 0)); then
  echo "check: $unexpected skip(s) not in hack/allowed-skips.txt, $format_failures format failure(s): counted as failed"
fi
echo "$passed passed, $((failed + unexpected + format_failures)) failed, $((skipped - unexpected)) skipped"
if ((test_rc != 0 || unexpected > 0 || format_failures > 0)); then exit 1; fi
