#!/usr/bin/env bash
# Fetches the Apache Kafka broker jars (KRaft, no ZooKeeper) from Maven Central into
#   .cache/kafka/<version>/libs
# and prints that directory on stdout (everything else goes to stderr).
# Version: $KAFKA_VERSION (default 4.1.1, the version we test; 3.9.1 also works).
# Idempotent and offline-safe: a marker file is written only after a complete copy,
# so a cached version never touches the network again.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="${KAFKA_VERSION:-4.1.1}"
cache="${SLUICE_KAFKA_CACHE:-$root/.cache/kafka}"
dest="$cache/$version"
libs="$dest/libs"
marker="$dest/.complete"

if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "fetch.sh: KAFKA_VERSION must look like 4.1.1, got '$version'" >&2
  exit 2
fi

if [ -f "$marker" ] && [ -d "$libs" ]; then
  echo "$libs"
  exit 0
fi

if ! command -v java >/dev/null 2>&1; then
  echo "fetch.sh: 'java' not found on PATH. The local Kafka broker needs a JDK/JRE >= 17" \
       "(e.g. apt-get install openjdk-17-jre-headless), or set KAFKA_BROKERS to use an external broker." >&2
  exit 3
fi
if ! command -v mvn >/dev/null 2>&1; then
  echo "fetch.sh: 'mvn' not found on PATH. It is used once to download the Kafka $version jars" \
       "from Maven Central (e.g. apt-get install maven), or set KAFKA_BROKERS to use an external broker." >&2
  exit 3
fi

mkdir -p "$dest"
# Two test runs may fetch at once (several engineers share this tree): serialise them.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dest/.lock"
  flock 9
  if [ -f "$marker" ] && [ -d "$libs" ]; then echo "$libs"; exit 0; fi
fi

echo "fetch.sh: fetching Apache Kafka $version jars into $libs" >&2
start=$(date +%s)
tmp="$dest/libs.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
# Output of mvn goes to stderr: stdout is reserved for the libs path callers capture.
logging=()
# Kafka 3.x logs through reload4j, 4.x through log4j2 (see the profiles in pom.xml).
if [ "${version%%.*}" -lt 4 ]; then logging=(-Dkafka.logging=reload4j); fi
mvn -q -B -Dstyle.color=never -f "$here/pom.xml" \
  -Dkafka.version="$version" "${logging[@]}" \
  dependency:copy-dependencies \
  -DoutputDirectory="$tmp" -DincludeScope=runtime 2>&1 \
  | sed 's/\x1b\[[0-9;]*m//g' >&2 \
  || { echo "fetch.sh: mvn could not fetch Kafka $version (offline and not cached? wrong version?)" >&2; exit 4; }

count=$(find "$tmp" -maxdepth 1 -name '*.jar' | wc -l)
if ! ls "$tmp"/kafka_2.13-"$version".jar >/dev/null 2>&1 || [ "$count" -lt 10 ]; then
  echo "fetch.sh: incomplete download ($count jars, kafka_2.13-$version.jar missing?)" >&2
  exit 4
fi
rm -rf "$libs"
mv "$tmp" "$libs"
trap - EXIT
echo "$version $count jars $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$marker"
echo "fetch.sh: $count jars in $(( $(date +%s) - start ))s" >&2
echo "$libs"
