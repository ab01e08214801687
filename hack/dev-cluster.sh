#!/usr/bin/env bash
# `make dev-cluster`: a local Kubernetes cluster the operator really runs on, for a machine with Docker, k3d and
# internet access. NEVER RUN on the machines this repository is developed on (no Docker engine, no internet there):
# written from the k3s, k3d and gVisor documentation and sources, checked with bash -n and shellcheck only.
#
#   1. When the cluster is created: gVisor's release binaries runsc and containerd-shim-runsc-v1 (GVISOR_RELEASE,
#      default latest; for the architecture of the Docker engine) are downloaded into a temporary folder, checked
#      against the .sha512 files published beside them, and moved into ~/.cache/codeexec/gvisor/<release>/<arch>
#      (a pinned release already there is not downloaded again). A reused cluster keeps the binaries it has.
#   2. k3d creates cluster $CLUSTER (default codeexec; one server, AGENTS agents, default 0) from $K3S_IMAGE (default
#      rancher/k3s:v1.33.1-k3s1), with both binaries mounted into /usr/local/bin of every node and containerd config
#      templates that add runtime handler `runsc` (runtime_type io.containerd.runsc.v1) to K3s's own configuration:
#      config-v3.toml.tmpl for K3s with containerd 2, config.toml.tmpl for containerd 1.7 (K3s takes the first that
#      exists; `{{ template "base" . }}` is K3s's built-in configuration). RuntimeClass `gvisor` with that handler is
#      created by the chart (values runtimeClass.*) or `kubectl apply -k config/runtime`.
#      NetworkPolicy: K3s runs flannel with its embedded network policy controller (kube-router's), which enforces
#      NetworkPolicy; nothing is disabled here.
#      Then every node's rendered containerd config must name the handler and its runsc must run, and a smoke Pod
#      (busybox `dmesg` in namespace default, under a throwaway RuntimeClass with handler runsc) must print gVisor's
#      kernel log ("Starting gVisor").
#   3. The operator image is built (`make docker-build IMAGE=$IMAGE`, default codeexec-operator:dev; SKIP_BUILD=1
#      skips it) and loaded into the nodes with `k3d image import`; every node's containerd must then list it, else it
#      is imported again with `docker save | ctr images import --platform` (k3d can exit 0 after a failed import:
#      k3d-io/k3d#1538, Docker's containerd image store).
#   4. It prints, on stdout and nothing else, the lines to run the E2E suite against the cluster:
#        export KUBECONFIG=...   export CODEEXEC_E2E_IMAGE=...
#      (progress goes to stderr). `make e2e` uses them.
#
# An existing cluster of that name is reused (started if stopped; the image is imported again); RECREATE=1 deletes it
# first. Remove the cluster with: k3d cluster delete codeexec
set -euo pipefail
cd "$(dirname "$0")/.."
cluster=${CLUSTER:-codeexec}
k3s_image=${K3S_IMAGE:-rancher/k3s:v1.33.1-k3s1}
agents=${AGENTS:-0}
image=${IMAGE:-codeexec-operator:dev}
release=${GVISOR_RELEASE:-latest}

say() { echo "dev-cluster: $*" >&2; }
die() { say "$*"; exit 1; }

for tool in docker k3d curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (needed: docker, k3d from k3d.io, curl, sha512sum or shasum)"
done
if command -v sha512sum >/dev/null; then
  sha512_check=(sha512sum -c)
elif command -v shasum >/dev/null; then
  sha512_check=(shasum -a 512 -c) # macOS
else
  die "neither sha512sum nor shasum is installed (needed to check gVisor's binaries)"
fi

# The nodes run on the Docker engine, whose architecture may differ from this shell's (a remote DOCKER_HOST, or a
# Docker Desktop VM): gVisor's release folders are named x86_64 and aarch64, as `docker info` reports them.
engine_arch=$(docker info --format '{{.Architecture}}' 2>/dev/null) || die "the Docker engine does not answer (docker info failed)"
case $engine_arch in
  x86_64 | amd64) arch=x86_64 platform=linux/amd64 ;;
  aarch64 | arm64) arch=aarch64 platform=linux/arm64 ;;
  *) die "gVisor publishes no binaries for the Docker engine's architecture ${engine_arch:-(none reported)}" ;;
esac

# 1. gVisor (https://gvisor.dev/docs/user_guide/install/, "Install latest release"), fetched only for a new cluster:
# the files are bind-mounted into the nodes, so they are never rewritten in place (a running shim's runsc must not
# change, and writing a running binary fails with ETXTBSY); `mv` gives the cache new files and running clusters keep
# the old ones.
gvisor=${CODEEXEC_GVISOR_CACHE:-$HOME/.cache/codeexec/gvisor}/$release/$arch
url=https://storage.googleapis.com/gvisor/releases/release/$release/$arch
fetch_gvisor() {
  local download binary
  mkdir -p "$gvisor"
  download=$(mktemp -d "$gvisor/../.download-$arch.XXXXXX") # same file system as $gvisor, so mv renames
  trap 'rm -rf "$download"' EXIT
  if [[ $release == latest || ! -x $gvisor/runsc || ! -x $gvisor/containerd-shim-runsc-v1 ]]; then
    say "fetching gVisor $release ($arch) from $url"
    for binary in runsc containerd-shim-runsc-v1; do
      curl -fsSL -o "$download/$binary" "$url/$binary" || die "could not download $url/$binary"
      curl -fsSL -o "$download/$binary.sha512" "$url/$binary.sha512" || die "could not download $url/$binary.sha512"
    done
    (cd "$download" && "${sha512_check[@]}" runsc.sha512 containerd-shim-runsc-v1.sha512 >&2) \
      || die "gVisor's binaries do not match their .sha512 (nothing was changed in $gvisor)"
    chmod 0755 "$download/runsc" "$download/containerd-shim-runsc-v1"
  fi
  # The same templates as tests/CodeExec.E2E/Cluster/K3sNode.cs (the Testcontainers.K3s path of the E2E suite;
  # E2ESettingsTests compares them).
  cat >"$download/config-v3.toml.tmpl" <<'TOML'
{{ template "base" . }}

[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc]
  runtime_type = "io.containerd.runsc.v1"
TOML
  cat >"$download/config.toml.tmpl" <<'TOML'
{{ template "base" . }}

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]
  runtime_type = "io.containerd.runsc.v1"
TOML
  for file in "$download"/*; do
    [[ $file == *.sha512 ]] || mv -f "$file" "$gvisor/"
  done
  rm -rf "$download"
  trap - EXIT
}

# 2. The cluster.
if [[ -n ${RECREATE:-} ]] && k3d cluster get "$cluster" >/dev/null 2>&1; then
  say "deleting cluster $cluster (RECREATE=1)"
  k3d cluster delete "$cluster" >&2
fi
if k3d cluster get "$cluster" >/dev/null 2>&1; then
  # `k3d cluster get` also finds a stopped cluster; starting a running one changes nothing.
  say "cluster $cluster exists: reusing it with its gVisor binaries (RECREATE=1 makes a new one); starting it"
  k3d cluster start "$cluster" --wait --timeout 300s >&2
else
  fetch_gvisor
  templates=/var/lib/rancher/k3s/agent/etc/containerd
  say "creating k3d cluster $cluster from $k3s_image with $agents agent(s)"
  k3d cluster create "$cluster" --image "$k3s_image" --agents "$agents" --wait --timeout 300s \
    --k3s-arg "--disable=traefik@server:*" \
    --volume "$gvisor/runsc:/usr/local/bin/runsc@all" \
    --volume "$gvisor/containerd-shim-runsc-v1:/usr/local/bin/containerd-shim-runsc-v1@all" \
    --volume "$gvisor/config-v3.toml.tmpl:$templates/config-v3.toml.tmpl@all" \
    --volume "$gvisor/config.toml.tmpl:$templates/config.toml.tmpl@all" >&2
fi

# The server and agent containers (not the load balancer), one name a line.
nodes=$(docker ps --filter "label=k3d.cluster=$cluster" --filter "label=k3d.role" --format '{{.Names}}' | grep -E -- '-(server|agent)-' || true)
[[ -n $nodes ]] || die "no running server or agent container of cluster $cluster (docker ps --filter label=k3d.cluster=$cluster)"
server=$(grep -m1 -e '-server-' <<<"$nodes") || die "cluster $cluster has no running server container"

# K3s renders config.toml from the template at start: the handler must be in it on every node, and runsc must run.
for node in $nodes; do
  docker exec "$node" grep -q 'runtimes.runsc\]' /var/lib/rancher/k3s/agent/etc/containerd/config.toml \
    || die "node $node: containerd's config.toml has no runsc handler (see /var/lib/rancher/k3s/agent/etc/containerd/ in it)"
  version=$(docker exec "$node" runsc --version 2>&1) || die "node $node: runsc --version failed: $version"
  say "node $node: containerd handler runsc configured, ${version%%$'\n'*}"
done

# The smoke test: a Pod under handler runsc prints gVisor's kernel log. It runs in namespace default (no Pod Security
# labels there; the suite's tenant namespaces are restricted) with the server's own kubectl (K3s's, its kubeconfig
# /etc/rancher/k3s/k3s.yaml), under a throwaway RuntimeClass so that it needs neither the chart nor config/runtime.
smoke=codeexec-gvisor-smoke
kubectl() { docker exec "$server" kubectl "$@"; }
smoke_delete() { kubectl delete pod "$smoke" --namespace default --ignore-not-found --wait=true >&2 && kubectl delete runtimeclass "$smoke" --ignore-not-found >&2; }
smoke_delete
say "smoke test: Pod $smoke (busybox dmesg) with RuntimeClass $smoke (handler runsc)"
docker exec -i "$server" kubectl apply -f - >&2 <<YAML
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: $smoke
handler: runsc
---
apiVersion: v1
kind: Pod
metadata:
  name: $smoke
  namespace: default
spec:
  runtimeClassName: $smoke
  restartPolicy: Never
  containers:
    - name: dmesg
      image: busybox:1.37
      command: [dmesg]
YAML
phase=
for _ in $(seq 60); do # about 2 minutes, the image pull included
  phase=$(kubectl get pod "$smoke" --namespace default -o jsonpath='{.status.phase}' || true)
  [[ $phase == Succeeded || $phase == Failed ]] && break
  sleep 2
done
log=$(kubectl logs "$smoke" --namespace default 2>&1 || true)
if [[ $phase != Succeeded || $log != *"Starting gVisor"* ]]; then
  say "smoke test failed: Pod $smoke is ${phase:-unknown} and its log has no 'Starting gVisor' (gVisor's dmesg). Log:"
  echo "$log" >&2
  say "its events:"
  kubectl get events --namespace default --field-selector "involvedObject.name=$smoke" >&2 || true
  smoke_delete || true
  die "handler runsc does not run Pods on this cluster (see the events above and the node's /var/lib/rancher/k3s/agent/containerd/containerd.log)"
fi
smoke_delete
say "smoke test passed: the Pod ran in gVisor"

# 3. The operator image.
if [[ -z ${SKIP_BUILD:-} ]]; then
  say "building $image (make docker-build)"
  make docker-build IMAGE="$image" >&2
fi

# The name containerd lists the image under: Docker's normalisation (distribution/reference, splitDockerDomain), as
# ImageReference.ContainerdName in tests/CodeExec.E2E: codeexec-operator:dev is docker.io/library/codeexec-operator:dev.
containerd_name() {
  local repository=${1%:*} tag=${1##*:} first=
  [[ $repository == */* ]] && first=${repository%%/*}
  if [[ -n $first && ($first == *.* || $first == *:* || $first == localhost) ]]; then
    echo "$repository:$tag"
  elif [[ -n $first ]]; then
    echo "docker.io/$repository:$tag"
  else
    echo "docker.io/library/$repository:$tag"
  fi
}
stored=$(containerd_name "$image")
has_image() { docker exec "$1" ctr -n k8s.io images ls -q | grep -xF -- "$stored" >/dev/null; }

say "importing $image into the nodes"
k3d image import "$image" --cluster "$cluster" >&2 || say "k3d image import failed; importing with ctr instead"
for node in $nodes; do
  if ! has_image "$node"; then
    say "node $node: containerd has no $stored after k3d image import (k3d-io/k3d#1538): docker save | ctr images import --platform $platform"
    docker save "$image" | docker exec -i "$node" ctr -n k8s.io images import --platform "$platform" - >&2 || true
    has_image "$node" || die "node $node: containerd still has no $stored. With Docker's containerd image store, save a single-platform image (docker save --platform $platform on Docker 28+, or build it locally with --platform $platform) and import it with: docker exec -i $node ctr -n k8s.io images import --platform $platform - < image.tar"
  fi
  say "node $node: containerd has $stored"
done

# 4. What to export.
kubeconfig=$(k3d kubeconfig write "$cluster")
say "ready. Run the E2E suite with: make e2e (with these exported), or dotnet test --project tests/CodeExec.E2E"
echo "export KUBECONFIG=$kubeconfig"
echo "export CODEEXEC_E2E_IMAGE=$image"
