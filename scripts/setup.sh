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
if [ "${SLUICE_SETUP_PROMETHEUS:-0}" = "1" ] && ! command -v promtool >/dev/null 2>&1; then need_apt+=(prometheus); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
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
