#!/bin/bash
# Builds a real Kubernetes API server for custom resources: the standalone k8s.io/apiextensions-apiserver
# (with main.go beside this script), plus etcd, from Debian sid packages only. Nothing is installed into the
# system: packages are downloaded and unpacked into a private tree. The project's copy of the team's recipe
# (reference: ../shared/tools/kube-apiext); hack/kube-apiext.sh runs it.
#
#   hack/kube-apiext/build.sh        # idempotent; prints the home folder on its last line
#
# Home: $KUBE_APIEXT_HOME (default ~/.cache/kube-apiext). Outputs: $HOME/bin/apiext-standalone, $HOME/bin/etcd.
# A cold build takes about 5 minutes and 1-3 GB of disk on 2 cores; a warm one returns at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
home=${KUBE_APIEXT_HOME:-$HOME/.cache/kube-apiext}
go_ver=${GO_VER:-1.26}
mkdir -p "$home"/bin
# main.go's digest is stamped next to the binaries: a changed main.go rebuilds. Binaries without a stamp (built by the
# reference recipe, whose main.go is the same) are adopted as they are.
stamp=$(sha256sum "$here/main.go" | cut -d' ' -f1)
if [[ -x $home/bin/apiext-standalone && -x $home/bin/etcd && -z ${REBUILD:-} ]]; then
  [[ -f $home/bin/main.go.sha256 ]] || echo "$stamp" > "$home/bin/main.go.sha256"
  if [[ $(cat "$home/bin/main.go.sha256") == "$stamp" ]]; then
    echo "$home"; exit 0
  fi
  echo "kube-apiext: main.go changed since the last build: rebuilding" >&2
fi
apt_dir=$home/apt
apt=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o APT::Sandbox::User=root)
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
echo "deb http://deb.debian.org/debian sid main" > "$apt_dir/sources.list"
echo "kube-apiext: reading sid package lists" >&2
apt-get "${apt[@]}" -qq update

# every golang-*-dev package the CRD API server depends on, the Go toolchain, etcd
apt-cache "${apt[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances golang-k8s-apiextensions-apiserver-dev \
  | grep -v '^ ' | grep -E '^golang-.*-dev$' | sort -u > "$home/packages.txt"
printf '%s\n' "golang-$go_ver-go" "golang-$go_ver-src" etcd-server >> "$home/packages.txt"
rm -rf "$home/debs" "$home/root"; mkdir -p "$home/debs" "$home/root"
echo "kube-apiext: downloading $(wc -l < "$home/packages.txt") packages" >&2
mapfile -t packages < "$home/packages.txt"
(cd "$home/debs" && apt-get "${apt[@]}" -qq download "${packages[@]}" >/dev/null)
for f in "$home"/debs/*.deb; do dpkg -x "$f" "$home/root"; done
rm -rf "$home/debs"

src=$home/gopath/src/apiext-standalone
mkdir -p "$src" && cp "$here/main.go" "$src/main.go"
export GOROOT=$home/root/usr/lib/go-$go_ver PATH=$home/root/usr/lib/go-$go_ver/bin:$PATH
export GOPATH=$home/gopath:$home/root/usr/share/gocode GO111MODULE=off GOFLAGS='' GOPROXY=off
export GOTOOLCHAIN=local CGO_ENABLED=0 GOCACHE=$home/gocache
# the server reports the Kubernetes version its Debian package was cut from (kubectl needs a parseable one)
ver=$(apt-cache "${apt[@]}" show golang-k8s-apiextensions-apiserver-dev | sed -n 's/^Version: 0\.\([0-9]*\)\.\([0-9]*\).*/1.\1.\2/p' | head -1)
major=1; minor=${ver#1.}; minor=${minor%%.*}
v=k8s.io/component-base/version
echo "kube-apiext: building v$ver (go $go_ver)" >&2
go build -ldflags "-X $v.gitVersion=v$ver -X $v.gitMajor=$major -X $v.gitMinor=$minor -X $v.gitTreeState=clean" \
  -o "$home/bin/apiext-standalone" apiext-standalone
cp "$home/root/usr/bin/etcd" "$home/bin/etcd"
echo "$stamp" > "$home/bin/main.go.sha256"
rm -rf "$home/root" "$home/gocache"
echo "$home"
