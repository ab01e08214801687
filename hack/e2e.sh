#!/usr/bin/env bash
# `make e2e`: the real-cluster suite (tests/CodeExec.E2E) on a real cluster with the operator installed from the
# chart with helm. With KUBECONFIG set it uses that cluster (CODEEXEC_E2E_IMAGE must name an operator image its nodes
# can pull or have); without, it first runs hack/dev-cluster.sh (Docker, k3d, internet) and uses what that prints.
# NEVER RUN on the machines this repository is developed on (no Docker, no cluster, no internet): checked with bash -n
# and shellcheck only. Fails when a test failed or skipped. Arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [[ -z ${KUBECONFIG:-} ]]; then
  echo "e2e: KUBECONFIG is not set: creating a k3d cluster with hack/dev-cluster.sh" >&2
  exports=$(hack/dev-cluster.sh)
  eval "$exports"
fi
if [[ ${CODEEXEC_E2E_OPERATOR:-helm} != in-process && -z ${CODEEXEC_E2E_IMAGE:-} ]]; then
  echo "e2e: set CODEEXEC_E2E_IMAGE to the operator image (repository:tag) the cluster can pull (or CODEEXEC_E2E_OPERATOR=in-process)" >&2
  exit 2
fi
export KUBECONFIG
hack/tools.sh >/dev/null # helm v4.1.4, which the suite installs the chart with

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test --project tests/CodeExec.E2E --no-progress "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
skipped=$(sed -n '/Test run summary/,$p' "$log" | grep -E '^\s*skipped:' | grep -oE '[0-9]+' | head -1)
if [[ $rc -eq 0 && ${skipped:-0} -gt 0 ]]; then
  echo "e2e: $skipped test(s) skipped (reasons above): the cluster was not usable" >&2
  exit 1
fi
exit "$rc"
