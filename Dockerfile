# syntax=docker/dockerfile:1
# The codeexec-operator image. One image, two roles:
#   /app/codeexec-operator           the operator (watch, reconcile, leader election, health and metrics on :8080)
#   /app/codeexec-operator collect   the output collector sidecar of every sandbox Pod
#   /app/codeexec-init               the code container's first process (static C), copied by the collector into the
#                                    Pod's init volume so it runs in the runtime's image
# Build: make docker-build (docker build -t codeexec-operator:dev .). Multi-arch: docker buildx build --platform ...

# ---- init: codeexec-init, static, for the target architecture (no loader, runs in any runtime image)
FROM debian:bookworm-slim AS init
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev \
      && rm -rf /var/lib/apt/lists/*
COPY src/CodeExec.Init/codeexec-init.c /src/codeexec-init.c
RUN cc -static -O2 -Wall -Wextra -Werror -o /codeexec-init /src/codeexec-init.c

# ---- build: restore on the build platform, publish for the target architecture
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Restore first, from the project files only, so the package layer is cached across source edits.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/CodeExec.Api/CodeExec.Api.csproj src/CodeExec.Api/
COPY src/CodeExec.Operator/CodeExec.Operator.csproj src/CodeExec.Operator/
RUN dotnet restore src/CodeExec.Operator/CodeExec.Operator.csproj -a "$TARGETARCH"

COPY src/CodeExec.Api/ src/CodeExec.Api/
COPY src/CodeExec.Operator/ src/CodeExec.Operator/
# Framework-dependent, with the native app host so /app/codeexec-operator is directly executable.
RUN dotnet publish src/CodeExec.Operator/CodeExec.Operator.csproj -a "$TARGETARCH" --no-restore \
      -c Release -o /app -p:UseAppHost=true -p:DebugType=none -p:BuildCodeExecInit=false

# ---- runtime: ASP.NET Core on Ubuntu chiseled: no shell, no package manager, non-root user "app" (UID 1654)
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime
WORKDIR /app
# Files stay owned by root and read-only to the process; the collector sidecar runs this image as another UID.
COPY --from=build /app/ /app/
COPY --from=init /codeexec-init /app/codeexec-init
ENV DOTNET_gcServer=0
EXPOSE 8080
USER 1654:1654
ENTRYPOINT ["/app/codeexec-operator"]
