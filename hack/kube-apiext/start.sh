#!/bin/bash
# Starts etcd and the CRD API server built by build.sh, on loopback only, and writes a kubeconfig
# (client certificate in group system:masters). Its last line is: export KUBECONFIG=...
#
#   RUN=/tmp/apiext-run API_PORT=6443 ETCD_PORT=32379 hack/kube-apiext/start.sh
#   hack/kube-apiext/stop.sh      # same RUN; WIPE=1 also deletes the etcd data
#
# Served: apiextensions.k8s.io (CRDs) and every custom resource they define, with real schema and CEL
# validation, status subresources, generation, resourceVersion conflicts, watch, bookmarks, server-side apply.
# Not served: core kinds (pods, namespaces, events, leases...), RBAC, admission webhooks, garbage collection.
set -euo pipefail
home=${KUBE_APIEXT_HOME:-$HOME/.cache/kube-apiext}
run=${RUN:-/tmp/kube-apiext-run}
etcd_port=${ETCD_PORT:-32379}
api_port=${API_PORT:-6443}
[[ -x $home/bin/apiext-standalone ]] || { echo "kube-apiext: not built; run build.sh first" >&2; exit 1; }
mkdir -p "$run/pki"
cd "$run"
if [[ ! -f pki/admin.crt ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kube-apiext-ca" \
    -keyout pki/ca.key -out pki/ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout pki/serving.key -out pki/serving.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > pki/serving.ext
  openssl x509 -req -in pki/serving.csr -CA pki/ca.crt -CAkey pki/ca.key -CAcreateserial -days 3650 \
    -extfile pki/serving.ext -out pki/serving.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=admin" -keyout pki/admin.key -out pki/admin.csr 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' > pki/admin.ext
  openssl x509 -req -in pki/admin.csr -CA pki/ca.crt -CAkey pki/ca.key -CAcreateserial -days 3650 \
    -extfile pki/admin.ext -out pki/admin.crt 2>/dev/null
fi
# the standalone server asks for a core cluster for delegated authn/authz: point it at a closed port;
# system:masters is still always allowed
cat > core-none.kubeconfig <<KC
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "http://127.0.0.1:1"}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
users: [{name: none, user: {token: unused}}]
KC
cat > kubeconfig <<KC
apiVersion: v1
kind: Config
clusters: [{name: kube-apiext, cluster: {server: "https://127.0.0.1:$api_port", certificate-authority: "$run/pki/ca.crt"}}]
contexts: [{name: kube-apiext, context: {cluster: kube-apiext, user: admin, namespace: default}}]
current-context: kube-apiext
users: [{name: admin, user: {client-certificate: "$run/pki/admin.crt", client-key: "$run/pki/admin.key"}}]
KC
"$home/bin/etcd" --name kube-apiext --data-dir "$run/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
  --initial-cluster "kube-apiext=http://127.0.0.1:$((etcd_port + 1))" \
  --listen-metrics-urls "http://127.0.0.1:$((etcd_port + 2))" \
  --unsafe-no-fsync > etcd.log 2>&1 &
echo $! > etcd.pid
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$etcd_port/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$etcd_port/health" >/dev/null || { tail etcd.log >&2; RUN=$run "$(dirname "$0")/stop.sh"; exit 1; }
# APIEXT_EXTRA_FLAGS: more apiserver flags, separated by spaces.
read -r -a extra_flags <<< "${APIEXT_EXTRA_FLAGS:-}"
"$home/bin/apiext-standalone" --bind-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file pki/serving.crt --tls-private-key-file pki/serving.key --client-ca-file pki/ca.crt \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --kubeconfig core-none.kubeconfig --authentication-kubeconfig core-none.kubeconfig --authentication-skip-lookup \
  --authorization-kubeconfig core-none.kubeconfig \
  --disable-admission-plugins NamespaceLifecycle,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy,MutatingAdmissionPolicy \
  --enable-priority-and-fairness=false "${extra_flags[@]}" > apiserver.log 2>&1 &
echo $! > apiserver.pid
for _ in $(seq 600); do
  [[ $(curl -s --cacert pki/ca.crt "https://127.0.0.1:$api_port/readyz" 2>/dev/null) == ok ]] && break; sleep 0.1
done
[[ $(curl -s --cacert pki/ca.crt "https://127.0.0.1:$api_port/readyz") == ok ]] \
  || { tail -30 apiserver.log >&2; RUN=$run "$(dirname "$0")/stop.sh"; exit 1; }
echo "export KUBECONFIG=$run/kubeconfig"
