#!/usr/bin/env bash
# Applies Sluice's ACLs with kafka-acls.sh, generated from the scrubber config by `sluice acl print`.
#   BOOTSTRAP=kafka:9093 ADMIN_CONFIG=admin.properties ./apply-acls.sh /etc/sluice/config.yaml [acl print flags]
# admin.properties: security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512, the admin's JAAS line.
set -euo pipefail
config=${1:?usage: apply-acls.sh <sluice config.yaml> [--scrubber User:x ...]}
shift
: "${BOOTSTRAP:?set BOOTSTRAP=host:port}"
: "${ADMIN_CONFIG:?set ADMIN_CONFIG=admin.properties}"
SLUICE=${SLUICE:-sluice}
"$SLUICE" acl print -c "$config" --format kafka-acls "$@" |
  sed -e "s|\$BOOTSTRAP|$BOOTSTRAP|" -e "s|\$ADMIN_CONFIG|$ADMIN_CONFIG|" |
  while IFS= read -r line; do
    echo "+ $line" >&2
    eval "$line"
  done
