#!/usr/bin/env bash
# Runs Sluice end to end on a local Kafka broker with synthetic chat and telemetry traffic,
# printing a live summary until Ctrl-C. Installs what is missing first (scripts/setup.sh).
#   bash scripts/demo.sh                 # SLUICE_DEMO_RATE=400 records/s by default
#   KAFKA_BROKERS=host:9092 bash scripts/demo.sh   # use an existing broker instead
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
. scripts/node-env.sh
if [ -z "${KAFKA_BROKERS:-}" ]; then
  KAFKA_BROKERS="$(node scripts/kafka/local-broker.cjs start 2>/dev/null | tail -1)"
  export KAFKA_BROKERS
fi
if [ ! -f .cache/demo/keys/quarantine-public.pem ]; then
  node services/scrubber/dist/cli/main.js keys generate --out .cache/demo/keys >/dev/null
fi
exec node services/scrubber/dist/demo/main.js
