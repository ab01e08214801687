#!/usr/bin/env bash
# `make e2e-dev`: the real-cluster suite (tests/CodeExec.E2E) against the dev cluster, no Docker or cluster needed:
# the API emulator with a simulated node in gVisor mode (root and runsc needed; runsc is gVisor 20240729 from
# hack/runsc.sh) started with `codeexec-devcluster --cluster-only --env-file`, and the operator in the suite's own
# process (CODEEXEC_E2E_OPERATOR=in-process), since the emulator cannot run the operator's Deployment. The dev
# cluster is stopped at the end. Arguments go to `dotnet test` (e.g. -- --filter-method '*timeout*').
# Environment: CONFIGURATION=Release to build and run the Release output (default Debug).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
configuration=${CONFIGURATION:-Debug}
start=$SECONDS

if [[ $(id -u) -ne 0 ]]; then
  echo "e2e-dev: the dev cluster's gVisor mode needs root (runsc creates namespaces and cgroups)" >&2
  exit 2
fi
hack/runsc.sh >/dev/null || echo "e2e-dev: hack/runsc.sh could not fetch runsc; the dev cluster looks for runsc on PATH" >&2

echo "building tests/CodeExec.E2E and the dev cluster ($configuration)..."
if ! build_log=$(dotnet build tests/CodeExec.E2E -c "$configuration" -v q -nologo 2>&1); then
  echo "$build_log"
  echo "e2e-dev: the build failed" >&2
  exit 2
fi

work=$(mktemp -d /tmp/codeexec-e2e-dev.XXXXXX)
dotnet "tests/CodeExec.DevCluster/bin/$configuration/net10.0/codeexec-devcluster.dll" --cluster-only --mode gvisor \
  --env-file "$work/e2e.env" >"$work/devcluster.log" 2>&1 &
devcluster=$!
# shellcheck disable=SC2317 # called by the EXIT trap
stop() {
  kill -TERM "$devcluster" 2>/dev/null && wait "$devcluster" 2>/dev/null
  rm -rf "$work"
}
trap stop EXIT

for _ in $(seq 120); do
  [[ -f $work/e2e.env ]] && break
  if ! kill -0 "$devcluster" 2>/dev/null; then
    cat "$work/devcluster.log"
    echo "e2e-dev: the dev cluster ended before it was up" >&2
    exit 2
  fi
  sleep 0.5
done
if [[ ! -f $work/e2e.env ]]; then
  cat "$work/devcluster.log"
  echo "e2e-dev: the dev cluster was not up within 60s" >&2
  exit 2
fi
# shellcheck source=/dev/null
source "$work/e2e.env"
echo "dev cluster up ($KUBECONFIG); running tests/CodeExec.E2E with the operator in-process"

set +e
dotnet test --project tests/CodeExec.E2E -c "$configuration" --no-build --no-progress "$@" 2>&1 | tee "$work/test.log"
rc=${PIPESTATUS[0]}
set -e
echo "e2e-dev finished in $((SECONDS - start))s (exit code $rc)"
# The same last line as hack/test.sh, so hack/check.sh can add it up.
summary=$(sed -n '/Test run summary/,$p' "$work/test.log")
num() { grep -E "^\s*$1:" <<<"$summary" | tail -1 | grep -oE '[0-9]+' | head -1; }
passed=$(num succeeded) failed=$(num failed) skipped=$(num skipped)
if [[ -z $passed ]]; then
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
echo "${passed} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$rc"
