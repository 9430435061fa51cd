#!/usr/bin/env bash
# Installs what the test suite needs when it is missing: the Debian packages of the real
# services the tests start (PostgreSQL 15 server; Redis; a JDK and Maven for the in-process Neo4j
# server of deploy/neo4j-dev), and the `helm` binary that lints and renders deploy/helm/dlv,
# built from the Go module proxy. Safe to run again.
set -euo pipefail

# The tests read HELM_VERSION from this line and run ${XDG_CACHE_HOME:-~/.cache}/dlv/helm-<version>/helm.
HELM_VERSION=v3.22.0

build_helm() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/dlv/helm-$HELM_VERSION" go
  [ -x "$dir/helm" ] && return 0
  # /usr/local/go is where the official Go archive installs, often without being on PATH.
  go="$(command -v go || true)"
  if [ -z "$go" ] && [ -x /usr/local/go/bin/go ]; then go=/usr/local/go/bin/go; fi
  if [ -z "$go" ]; then
    echo "Go is not installed, so helm $HELM_VERSION cannot be built and the Helm chart tests will be" \
      "skipped. Install Go 1.26+ (https://go.dev/doc/install) and run this script again." >&2
    return 0
  fi
  # 2.5 to 3.5 minutes on 2 cores with empty Go caches (~400 MB of modules, ~700 MB of build cache).
  echo "Building helm $HELM_VERSION into $dir (once)" >&2
  mkdir -p "$dir"
  GOBIN="$dir" "$go" install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

build_helm

missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql-15)
[ -x /usr/bin/chromium ] || missing+=(chromium)  # the browser tests drive Debian's Chromium
# The Neo4j launcher is compiled with javac, so a JDK (not only a JRE) is needed.
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)  # live events across processes

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
