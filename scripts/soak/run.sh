#!/usr/bin/env bash
# Long mixed-fault run of the real scrubber against a broker of its own (issue 8):
#   bash scripts/soak/run.sh [minutes]        (default 30; or SLUICE_SOAK_MINUTES)
# Env: SLUICE_SOAK_RATE (records/s offered, default 200), SLUICE_SOAK_SEED (fault order).
# Prints one line per fault and, at the end, the same figures as the integrity suite
# (records in, out per verdict, duplicates, lost, sensitive-in-clean); writes them to
# .cache/integrity-figures/soak.json. Exit 0 only when every invariant holds.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/node-env.sh
export SLUICE_SOAK_MINUTES="${1:-${SLUICE_SOAK_MINUTES:-30}}"
npx tsc -b services/scrubber
exec npx jest -c scripts/soak/jest.config.cjs --runInBand
