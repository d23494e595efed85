#!/usr/bin/env bash
# The whole test suite: static gates, unit, integration, end-to-end and integrity tests against a
# real Kafka broker. The broker is KAFKA_BROKERS when set, else testcontainers when a Docker engine
# can pull images, else a local KRaft broker started from the cached Apache Kafka jars.
#   bash scripts/test.sh            # everything CI runs
#   bash scripts/test.sh --unit     # static gates and unit tests only (no broker)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export SLUICE_SETUP_PROMETHEUS="${SLUICE_SETUP_PROMETHEUS:-1}"
bash scripts/setup.sh
. scripts/node-env.sh
started=$(date +%s)

echo "== static gates: tsc (strict, tests included), eslint, prettier"
npx tsc -p test --noEmit
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check . | tail -20; echo "prettier: run 'npm run format'"; exit 1; }
if command -v promtool >/dev/null 2>&1; then
  echo "== promtool: alert and recording rules"
  bash scripts/prometheus/check.sh
elif [ -n "${CI:-}" ]; then
  echo "promtool not installed: CI must run the alert rule tests (Debian package prometheus)" >&2
  exit 1
else
  echo "== promtool not installed: alert rule tests skipped (as root: apt-get install prometheus)"
fi

if [ "${1:-}" = "--unit" ]; then
  npx jest --selectProjects unit
else
  npx jest --selectProjects unit integration e2e
  npx jest --selectProjects integrity
fi
echo "sluice tests: done in $(( $(date +%s) - started ))s"
