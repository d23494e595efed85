#!/usr/bin/env bash
# Checks the Prometheus files shipped in deploy/prometheus: rule syntax (promtool check rules),
# the rule unit tests (promtool test rules) and the compose scrape config (promtool check config).
# CI runs it; promtool comes with Debian's `prometheus` package (scripts/setup.sh installs it
# when SLUICE_SETUP_PROMETHEUS=1).
#   bash scripts/prometheus/check.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root/deploy/prometheus"
if ! command -v promtool >/dev/null 2>&1; then
  echo "check.sh: promtool not found; install it (Debian: apt-get install prometheus) or run scripts/setup.sh with SLUICE_SETUP_PROMETHEUS=1" >&2
  exit 1
fi
promtool check rules rules/*.yml
promtool test rules tests/*.test.yml
# The compose config names rule files by their path inside the container; check a copy that
# names the files in this tree instead.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sed "s#/etc/prometheus/rules/#$PWD/rules/#" prometheus.yml > "$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"
echo "prometheus rules: ok"
