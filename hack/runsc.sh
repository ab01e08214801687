#!/usr/bin/env bash
# A current gVisor for the simulated kubelet, `make demo` and CI: Debian sid's `runsc` package (0.0~20240729 when
# this was written; systrap platform), downloaded with apt-get into a private apt tree and unpacked with `dpkg -x`
# into a cache, the way ../shared/tools/kube-apiext/build.sh unpacks sid packages. Nothing is installed system-wide.
#
#   hack/runsc.sh        # idempotent; prints the runsc binary's path on its last line (exit 0)
#                        # exit 1 (reason on stderr) when sid cannot be reached; callers fall back to bookworm's runsc
#
# Cache: $CODEEXEC_RUNSC_CACHE (default ~/.cache/codeexec/runsc), one folder per package version:
#   <cache>/<version>/usr/bin/runsc, and <cache>/current -> <version>. The gVisor mode looks there first
#   (tests/CodeExec.Testing/Kubelet/GVisor/RunscLocator.cs). RUNSC_VERSION=<debian version> pins a version; REFRESH=1
#   re-reads sid's package lists even when a cached runsc exists.
set -euo pipefail
cache=${CODEEXEC_RUNSC_CACHE:-$HOME/.cache/codeexec/runsc}
mkdir -p "$cache"
if [[ -z ${REFRESH:-} && -z ${RUNSC_VERSION:-} && -x $cache/current/usr/bin/runsc ]]; then
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
echo "deb http://deb.debian.org/debian sid main" > "$apt_dir/sources.list"
echo "runsc: reading sid package lists" >&2
if ! apt-get "${apt[@]}" -qq update >&2; then
  echo "runsc: could not read Debian sid's package lists" >&2; exit 1
fi
pkg=runsc${RUNSC_VERSION:+=$RUNSC_VERSION}
version=${RUNSC_VERSION:-$(apt-cache "${apt[@]}" show runsc 2>/dev/null | sed -n 's/^Version: //p' | head -1)}
if [[ -z $version ]]; then
  echo "runsc: Debian sid has no runsc package for $(dpkg --print-architecture)" >&2; exit 1
fi
dir=$cache/${version//[:~]/_}
if [[ ! -x $dir/usr/bin/runsc ]]; then
  tmp=$(mktemp -d "$cache/.download.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "runsc: downloading runsc $version from sid" >&2
  (cd "$tmp" && apt-get "${apt[@]}" -qq download "$pkg" >&2)
  mkdir -p "$tmp/root"
  dpkg -x "$tmp"/runsc_*.deb "$tmp/root"
  "$tmp/root/usr/bin/runsc" --version >&2
  rm -rf "$dir" && mv "$tmp/root" "$dir"
fi
ln -sfn "${dir##*/}" "$cache/current.tmp" && mv -T "$cache/current.tmp" "$cache/current"
echo "$dir/usr/bin/runsc"
