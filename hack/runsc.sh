#!/usr/bin/env bash
# A current gVisor for the simulated kubelet, `make demo` and CI: Debian's `runsc` package of gVisor release 20240729
# (systrap platform), downloaded with apt-get into a private apt tree and unpacked with `dpkg -x` into a cache, the way
# ../shared/tools/kube-apiext/build.sh unpacks sid packages. Nothing is installed system-wide.
#
# Suite: RUNSC_SUITE (default bookworm-backports). sid has the same release (0.0~20240729.0-7+b1) but rebuilt with
# Go 1.26, which gVisor 20240729 does not support: its sentry panics at random ("running on goroutine 0 (task
# goroutine for kernel.Task ... is <pointer>)" in gofer reads; measured here, most multi-container pods lose their
# sandbox). bookworm-backports' build of the same release (0.0~20240729.0-4~bpo12+2) uses Go 1.22 and runs clean.
# RUNSC_SUITE=sid fetches sid's anyway.
#
#   hack/runsc.sh        # idempotent; prints the runsc binary's path on its last line (exit 0)
#                        # exit 1 (reason on stderr) when Debian cannot be reached; callers fall back to runsc on PATH
#
# Cache: $CODEEXEC_RUNSC_CACHE (default ~/.cache/codeexec/runsc), one folder per package version:
#   <cache>/<version>/usr/bin/runsc, and <cache>/current -> <version>. The gVisor mode looks there first
#   (tests/CodeExec.Testing/Kubelet/GVisor/RunscLocator.cs). RUNSC_VERSION=<debian version> pins a version; REFRESH=1
#   re-reads the suite's package lists even when a cached runsc exists.
set -euo pipefail
cache=${CODEEXEC_RUNSC_CACHE:-$HOME/.cache/codeexec/runsc}
mkdir -p "$cache"
if [[ -z ${REFRESH:-} && -z ${RUNSC_VERSION:-} && -z ${RUNSC_SUITE:-} && -x $cache/current/usr/bin/runsc && $(readlink "$cache/current") == *bpo* ]]; then
  echo "$cache/current/usr/bin/runsc"; exit 0
fi
if [[ -n ${RUNSC_VERSION:-} && -x $cache/${RUNSC_VERSION//[:~]/_}/usr/bin/runsc ]]; then
  echo "$cache/${RUNSC_VERSION//[:~]/_}/usr/bin/runsc"; exit 0
fi
apt_dir=$cache/apt
apt=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o APT::Sandbox::User=root
     -o APT::Architecture="$(dpkg --print-architecture)")
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
suite=${RUNSC_SUITE:-bookworm-backports}
echo "deb http://deb.debian.org/debian $suite main" > "$apt_dir/sources.list"
echo "runsc: reading $suite package lists" >&2
if ! apt-get "${apt[@]}" -qq update >&2; then
  echo "runsc: could not read Debian $suite's package lists" >&2; exit 1
fi
pkg=runsc${RUNSC_VERSION:+=$RUNSC_VERSION}
version=${RUNSC_VERSION:-$(apt-cache "${apt[@]}" show runsc 2>/dev/null | sed -n 's/^Version: //p' | head -1)}
if [[ -z $version ]]; then
  echo "runsc: Debian $suite has no runsc package for $(dpkg --print-architecture)" >&2; exit 1
fi
dir=$cache/${version//[:~]/_}
if [[ ! -x $dir/usr/bin/runsc ]]; then
  tmp=$(mktemp -d "$cache/.download.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "runsc: downloading runsc $version from $suite" >&2
  (cd "$tmp" && apt-get "${apt[@]}" -qq download "$pkg" >&2)
  mkdir -p "$tmp/root"
  dpkg -x "$tmp"/runsc_*.deb "$tmp/root"
  "$tmp/root/usr/bin/runsc" --version >&2
  rm -rf "$dir" && mv "$tmp/root" "$dir"
fi
ln -sfn "${dir##*/}" "$cache/current.tmp" && mv -T "$cache/current.tmp" "$cache/current"
echo "$dir/usr/bin/runsc"
