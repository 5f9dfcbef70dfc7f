#!/usr/bin/env bash
# The benchmark (issue 6): bench/run.sh [--sizes 10k,100k,1m] [--quick] [other options: see bench/README.md]
# Builds the service if needed, starts it on a fresh embedded database per size, loads deterministic data,
# measures figures 1-5 and writes bench/results/<size>.json and docs/benchmarks.md. Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then
  echo "JAVA_HOME must point at a JDK 22+ (multi-file source launch); got $JAVA_HOME" >&2; exit 1
fi
build=0
for a in "$@"; do [[ "$a" == "--build" ]] && build=1; done
if [[ $build == 1 || ! -f target/quarkus-app/quarkus-run.jar ]]; then
  echo "== building the service (./mvnw package -Dmaven.test.skip=true)"
  ./mvnw -B -ntp -q package -Dmaven.test.skip=true   # -DskipTests still compiles the tests, and skips the client they need
fi
if [[ ! -d bench/.node/node_modules/autocannon ]]; then
  echo "== installing autocannon into bench/.node"
  npm install --prefix bench/.node --no-audit --no-fund --loglevel=error autocannon@8 >/dev/null
fi
rm -rf bench/.work/app   # the service runs from a private copy of target/quarkus-app (Service.app())
lib=target/quarkus-app/lib/main
cp=$(ls $lib/org.postgresql.postgresql-*.jar $lib/com.fasterxml.jackson.core.jackson-{core,databind,annotations}-*.jar | tr '\n' ':')
exec "$JAVA_HOME/bin/java" -Xmx2g -cp "$cp" bench/src/Bench.java "$@"
