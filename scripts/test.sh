#!/usr/bin/env bash
# The whole test suite: unit, integration and end-to-end against a real Kafka broker.
# The broker is KAFKA_BROKERS when set, else testcontainers when a Docker engine can pull
# images, else a local KRaft broker started from the cached Apache Kafka jars.
#   bash scripts/test.sh            # everything CI runs
#   bash scripts/test.sh --unit     # unit tests only (no broker)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
. scripts/node-env.sh
started=$(date +%s)
if [ "${1:-}" = "--unit" ]; then
  npx jest --selectProjects unit
else
  npx jest --selectProjects unit integration e2e
  npx jest --selectProjects integrity --passWithNoTests
fi
echo "sluice tests: done in $(( $(date +%s) - started ))s"
