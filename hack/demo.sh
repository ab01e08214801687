#!/usr/bin/env bash
# `make demo`: no cluster needed. Builds the dev cluster program (quietly, incrementally after `make build`) and runs
# it: the API emulator, a simulated node (gVisor mode when runsc is available and we are root, else process mode with
# NO isolation; runsc is gVisor 20240729, fetched into a cache by hack/runsc.sh), the real operator in-process, then every
# sample in config/samples with its final status.
# Arguments go to the program: hack/demo.sh --keep (leave the cluster up for kubectl), --mode process, --timeout 120.
# Environment: CONFIGURATION=Release to build and run the Release output (default Debug, what `make build` built).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
configuration=${CONFIGURATION:-Debug}
project=tests/CodeExec.DevCluster
start=$SECONDS

echo "building $project ($configuration)..."
if ! build_log=$(dotnet build "$project" -c "$configuration" -v q -nologo 2>&1); then
  echo "$build_log"
  echo "demo: the build failed"
  exit 2
fi
echo "built in $((SECONDS - start))s"

# gVisor mode uses gVisor 20240729 from hack/runsc.sh's cache (systrap); bookworm's runsc on PATH is only a fallback.
if runsc_path=$(hack/runsc.sh 2>/tmp/codeexec-demo-runsc.log | tail -1) && [[ -x $runsc_path ]]; then
  echo "runsc: $("$runsc_path" --version | head -1) (Debian, cached by hack/runsc.sh)"
else
  echo "hack/runsc.sh could not fetch Debian's runsc ($(tail -1 /tmp/codeexec-demo-runsc.log)); gVisor mode falls back to runsc on PATH, if any"
fi

set +e
dotnet "$project/bin/$configuration/net10.0/codeexec-devcluster.dll" "$@"
rc=$?
set -e
echo "demo finished in $((SECONDS - start))s (exit code $rc)"
exit "$rc"
