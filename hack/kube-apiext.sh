#!/usr/bin/env bash
# Builds the real Kubernetes API server for custom resources with the recipe in hack/kube-apiext/ (cached in
# $KUBE_APIEXT_HOME, default ~/.cache/kube-apiext; instant when built). Tests start their own instances of it on free
# ports with hack/kube-apiext/start.sh and stop.sh. When the build fails for a reason outside the project (Debian sid
# moved), the reason is written to $KUBE_APIEXT_HOME/build-failure.txt and the tests that need the server report
# themselves skipped with it. One build at a time per home (a lock), so parallel `make test` runs wait for each other.
#
#   hack/kube-apiext.sh build
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tools=${KUBE_APIEXT_TOOLS:-$repo/hack/kube-apiext}
home=${KUBE_APIEXT_HOME:-$HOME/.cache/kube-apiext}
mkdir -p "$home"
case ${1:-build} in
  build)
    if [[ ! -f $tools/build.sh ]]; then
      echo "kube-apiext recipe not found at $tools (set KUBE_APIEXT_TOOLS)" | tee "$home/build-failure.txt" >&2
      exit 0
    fi
    exec 9>"$home/.build.lock"
    flock 9
    if KUBE_APIEXT_HOME=$home bash "$tools/build.sh" > "$home/build.log" 2>&1; then
      rm -f "$home/build-failure.txt"
      echo "kube-apiext: ready in $home"
    else
      { echo "building the real API server from Debian sid packages failed (outside the project):"; tail -5 "$home/build.log"; } \
        > "$home/build-failure.txt"
      cat "$home/build-failure.txt" >&2
    fi
    ;;
  *) echo "usage: $0 build" >&2; exit 2 ;;
esac
