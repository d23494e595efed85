#!/usr/bin/env bash
# Installs what Sluice needs on a fresh machine: Node 24 (from the npm registry when the
# machine's Node is older), a JDK for the local Kafka broker, the npm dependencies, the Kafka
# jars (Maven Central, cached), and builds the TypeScript. Idempotent; source-safe.
#   bash scripts/setup.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
# openssl makes the throwaway CA of the SASL_SSL test broker (scripts/kafka/local-broker.cjs --tls).
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# Prometheus (promtool and the server) only for the tests: optional for a developer, required in CI.
want_prom=0
if [ "${SLUICE_SETUP_PROMETHEUS:-0}" = "1" ] && ! command -v promtool >/dev/null 2>&1; then want_prom=1; fi
can_apt=0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then can_apt=1; fi
if [ $want_prom = 1 ]; then
  if [ $can_apt = 1 ]; then
    need_apt+=(prometheus)
  elif [ -n "${CI:-}" ]; then
    echo "setup: CI needs Debian's prometheus package (promtool and the server for the observability tests), and this user cannot apt-get it: run as root or preinstall it" >&2
    exit 1
  else
    echo "setup: prometheus is not installed and this user cannot apt-get it: the promtool rule tests and the observability test will be skipped (as root: apt-get install prometheus)" >&2
  fi
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ $can_apt = 1 ]; then
    echo "setup: installing ${need_apt[*]} (apt-get)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
  else
    echo "setup: missing ${need_apt[*]}; install them (Debian: apt-get install ${need_apt[*]}) or set KAFKA_BROKERS to an external broker" >&2
    exit 1
  fi
fi

# shellcheck source=scripts/node-env.sh
. "$root/scripts/node-env.sh"
echo "setup: node $(node --version), npm $(npm --version)" >&2

# npm ci when the lock is in sync with node_modules' install marker; reinstall after lock changes.
stamp="node_modules/.sluice-lock-hash"
lock_hash="$(sha256sum package-lock.json | cut -c1-64)-$(node -p 'process.versions.modules')"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >&2
  echo "$lock_hash" > "$stamp"
fi

bash scripts/kafka/fetch.sh >/dev/null
npm run --silent build >&2
echo "setup: done" >&2
