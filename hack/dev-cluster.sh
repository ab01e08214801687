#!/usr/bin/env bash
# `make dev-cluster`: a local Kubernetes cluster the operator really runs on, for a machine with Docker, k3d and
# internet access. NEVER RUN on the machines this repository is developed on (no Docker engine, no internet there):
# written from the k3s, k3d and gVisor documentation, checked with bash -n and shellcheck only.
#
#   1. gVisor's release binaries runsc and containerd-shim-runsc-v1 (GVISOR_RELEASE, default latest) are downloaded
#      into ~/.cache/codeexec/gvisor/<release>/<arch> and checked against the .sha512 files published beside them.
#   2. k3d creates cluster $CLUSTER (default codeexec; one server, AGENTS agents, default 0) from $K3S_IMAGE (default
#      rancher/k3s:v1.33.1-k3s1), with both binaries mounted into /usr/local/bin of every node and containerd config
#      templates that add runtime handler `runsc` (runtime_type io.containerd.runsc.v1) to K3s's own configuration:
#      config-v3.toml.tmpl for K3s with containerd 2, config.toml.tmpl for containerd 1.7 (K3s takes the first that
#      exists; `{{ template "base" . }}` is K3s's built-in configuration). RuntimeClass `gvisor` with that handler is
#      created by the chart (values runtimeClass.*) or `kubectl apply -k config/runtime`.
#      NetworkPolicy: K3s runs flannel with its embedded network policy controller (kube-router's), which enforces
#      NetworkPolicy; nothing is disabled here.
#   3. The operator image is built (`make docker-build IMAGE=$IMAGE`, default codeexec-operator:dev; SKIP_BUILD=1
#      skips it) and loaded into the nodes with `k3d image import`.
#   4. It prints, on stdout and nothing else, the lines to run the E2E suite against the cluster:
#        export KUBECONFIG=...   export CODEEXEC_E2E_IMAGE=...
#      (progress goes to stderr). `make e2e` uses them.
#
# An existing cluster of that name is reused (the image is imported again); RECREATE=1 deletes it first.
# Remove the cluster with: k3d cluster delete codeexec
set -euo pipefail
cd "$(dirname "$0")/.."
cluster=${CLUSTER:-codeexec}
k3s_image=${K3S_IMAGE:-rancher/k3s:v1.33.1-k3s1}
agents=${AGENTS:-0}
image=${IMAGE:-codeexec-operator:dev}
release=${GVISOR_RELEASE:-latest}

say() { echo "dev-cluster: $*" >&2; }
die() { say "$*"; exit 1; }

for tool in docker k3d curl sha512sum; do
  command -v "$tool" >/dev/null || die "$tool is not installed (needed: docker, k3d from k3d.io, curl, sha512sum)"
done
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (docker info failed)"

case $(uname -m) in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) die "gVisor publishes no binaries for $(uname -m)" ;;
esac

# 1. gVisor (https://gvisor.dev/docs/user_guide/install/, "Install latest release").
gvisor=${CODEEXEC_GVISOR_CACHE:-$HOME/.cache/codeexec/gvisor}/$release/$arch
url=https://storage.googleapis.com/gvisor/releases/release/$release/$arch
mkdir -p "$gvisor"
if [[ $release == latest || ! -x $gvisor/runsc || ! -x $gvisor/containerd-shim-runsc-v1 ]]; then
  say "fetching gVisor $release ($arch) from $url"
  for binary in runsc containerd-shim-runsc-v1; do
    curl -fsSL -o "$gvisor/$binary" "$url/$binary" || die "could not download $url/$binary"
    curl -fsSL -o "$gvisor/$binary.sha512" "$url/$binary.sha512" || die "could not download $url/$binary.sha512"
  done
  (cd "$gvisor" && sha512sum -c runsc.sha512 containerd-shim-runsc-v1.sha512 >&2) || die "gVisor's binaries do not match their .sha512"
  chmod 0755 "$gvisor/runsc" "$gvisor/containerd-shim-runsc-v1"
fi
say "gVisor: $("$gvisor/runsc" --version 2>/dev/null | head -1 || echo "runsc $release")"

# The same templates as tests/CodeExec.E2E/Cluster/K3sNode.cs (the Testcontainers.K3s path of the E2E suite).
cat >"$gvisor/config-v3.toml.tmpl" <<'TOML'
{{ template "base" . }}

[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc]
  runtime_type = "io.containerd.runsc.v1"
TOML
cat >"$gvisor/config.toml.tmpl" <<'TOML'
{{ template "base" . }}

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]
  runtime_type = "io.containerd.runsc.v1"
TOML

# 2. The cluster.
if [[ -n ${RECREATE:-} ]] && k3d cluster get "$cluster" >/dev/null 2>&1; then
  say "deleting cluster $cluster (RECREATE=1)"
  k3d cluster delete "$cluster" >&2
fi
if k3d cluster get "$cluster" >/dev/null 2>&1; then
  say "cluster $cluster exists: reusing it (RECREATE=1 makes a new one)"
else
  templates=/var/lib/rancher/k3s/agent/etc/containerd
  say "creating k3d cluster $cluster from $k3s_image with $agents agent(s)"
  k3d cluster create "$cluster" --image "$k3s_image" --agents "$agents" --wait --timeout 300s \
    --k3s-arg "--disable=traefik@server:*" \
    --volume "$gvisor/runsc:/usr/local/bin/runsc@all" \
    --volume "$gvisor/containerd-shim-runsc-v1:/usr/local/bin/containerd-shim-runsc-v1@all" \
    --volume "$gvisor/config-v3.toml.tmpl:$templates/config-v3.toml.tmpl@all" \
    --volume "$gvisor/config.toml.tmpl:$templates/config.toml.tmpl@all" >&2
fi

# K3s renders config.toml from the template at start: the handler must be in it on every node.
for node in $(docker ps --filter "label=k3d.cluster=$cluster" --filter "label=k3d.role" --format '{{.Names}}' | grep -E -- '-(server|agent)-'); do
  docker exec "$node" grep -q 'runtimes.runsc\]' /var/lib/rancher/k3s/agent/etc/containerd/config.toml \
    || die "node $node: containerd's config.toml has no runsc handler (see /var/lib/rancher/k3s/agent/etc/containerd/ in it)"
  say "node $node: containerd handler runsc configured"
done

# 3. The operator image.
if [[ -z ${SKIP_BUILD:-} ]]; then
  say "building $image (make docker-build)"
  make docker-build IMAGE="$image" >&2
fi
say "importing $image into the nodes"
k3d image import "$image" --cluster "$cluster" >&2

# 4. What to export.
kubeconfig=$(k3d kubeconfig write "$cluster")
say "ready. Run the E2E suite with: make e2e (with these exported), or dotnet test --project tests/CodeExec.E2E"
echo "export KUBECONFIG=$kubeconfig"
echo "export CODEEXEC_E2E_IMAGE=$image"
