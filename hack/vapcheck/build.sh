#!/bin/bash
# Builds vapcheck (main.go beside this script): kube-apiserver's ValidatingAdmissionPolicy compile and evaluation
# step, from Debian sid's golang-k8s-apiserver-dev and the Go toolchain, unpacked into a private tree (nothing is
# installed into the system), the same way hack/kube-apiext/build.sh builds the CRD API server. Optional: the test
# that runs it (Deploy/CodeSourceAccessPolicyEvaluationTests) skips with the reason when it is not built.
#
#   hack/vapcheck/build.sh        # idempotent; prints the binary's path on its last line
#
# Home: $VAPCHECK_HOME (default ~/.cache/codeexec/vapcheck). A cold build downloads about 260 MB and compiles for 5 to
# 20 minutes on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
home=${VAPCHECK_HOME:-$HOME/.cache/codeexec/vapcheck}
go_ver=${GO_VER:-1.26}
mkdir -p "$home/bin"
stamp=$(cat "$here/main.go" "$here/build.sh" | sha256sum | cut -d' ' -f1)
if [[ -x $home/bin/vapcheck && -f $home/bin/stamp && $(cat "$home/bin/stamp") == "$stamp" && -z ${REBUILD:-} ]]; then
  echo "$home/bin/vapcheck"; exit 0
fi
rm -f "$home/failure.txt"
trap '[[ $? == 0 ]] || echo "building vapcheck failed (see $home/build.log)" > "$home/failure.txt"' EXIT
apt_dir=$home/apt
apt=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o APT::Sandbox::User=root)
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
echo "deb http://deb.debian.org/debian sid main" > "$apt_dir/sources.list"
echo "vapcheck: reading sid package lists" >&2
apt-get "${apt[@]}" -qq update
apt-cache "${apt[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances golang-k8s-apiserver-dev \
  | grep -v '^ ' | grep -E '^golang-.*-dev$' | sort -u > "$home/packages.txt"
printf '%s\n' "golang-$go_ver-go" "golang-$go_ver-src" >> "$home/packages.txt"
rm -rf "$home/debs" "$home/root"; mkdir -p "$home/debs" "$home/root"
echo "vapcheck: downloading $(wc -l < "$home/packages.txt") packages" >&2
mapfile -t packages < "$home/packages.txt"
(cd "$home/debs" && apt-get "${apt[@]}" -qq download "${packages[@]}" >/dev/null)
for f in "$home"/debs/*.deb; do dpkg -x "$f" "$home/root"; done
rm -rf "$home/debs"

gocode=$home/root/usr/share/gocode
# compilePolicy is the plugin's unexported compile step; this private copy of the package exports it.
cat > "$gocode/src/k8s.io/apiserver/pkg/admission/plugin/policy/validating/zz_export_for_vapcheck.go" <<'GO'
package validating

// CompilePolicyForCheck exposes compilePolicy (the plugin's own compile step) to vapcheck.
func CompilePolicyForCheck(p *Policy) Validator { return compilePolicy(p) }
GO
src=$home/gopath/src/vapcheck
mkdir -p "$src" && cp "$here/main.go" "$src/main.go"
export GOROOT=$home/root/usr/lib/go-$go_ver PATH=$home/root/usr/lib/go-$go_ver/bin:$PATH
export GOPATH=$home/gopath:$gocode GO111MODULE=off GOFLAGS='' GOPROXY=off
export GOTOOLCHAIN=local CGO_ENABLED=0 GOCACHE=$home/gocache
echo "vapcheck: building against k8s.io/apiserver $(apt-cache "${apt[@]}" show golang-k8s-apiserver-dev | sed -n 's/^Version: //p' | head -1) (go $go_ver)" >&2
go build -o "$home/bin/vapcheck" vapcheck
echo "$stamp" > "$home/bin/stamp"
rm -rf "$home/root" "$home/gocache"
echo "$home/bin/vapcheck"
