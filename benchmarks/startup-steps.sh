#!/usr/bin/env bash
# Where the start-up of the end-to-end app goes, by Spring's own start-up steps: each configuration of
# benchmarks/e2e.sh starts TURNS times (one start of each, then the next turn, in an order that rotates
# each turn), each start runs dev.tracing.benchmarks.e2e.StartupSteps (the app with Spring's
# BufferingApplicationStartup, no request), and the table gives per configuration the median of each figure
# and the median over turns of its difference to the first configuration's start in the same turn: the time
# to a started context (run), the main thread's CPU time by then, and Spring's steps without the steps
# inside them (parse: reading the configuration classes and evaluating their conditions; instantiate:
# making the beans; smart-initialize: the beans' work once all are made; environment: preparing it).
# After the table, the beans whose time differs most from the first configuration's (a bean that loads classes
# another configuration loads in a later bean shows as a gain of one and a loss of the other).
# By default with the C1 compiler only (JOPTS=-XX:TieredStopAtLevel=1; an empty JOPTS= runs with both JIT
# compilers, JOPTS=-Xint with the interpreter only): no C2 compilation competes with the main thread for the
# cores, so its starts move less than with both compilers (whose starts move by hundreds of milliseconds), though
# a shared machine's phases still move them by a tenth or more: look at the turns before the table. The
# interpreter's starts move less still, but it weighs some work far beyond its share (each class file Spring reads
# is first looked up in the JDK's module image: in one profile under -Xint, a third of what ours added to the
# main thread).
#
# Usage, after the build steps in benchmarks/README.md (about 3 s per start; 8 s with -Xint):
#   CONFIGS="none ours ours-limited brave boot-otel" TURNS=5 benchmarks/startup-steps.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIGS=${CONFIGS:-"none ours ours-limited brave boot-otel"}
TURNS=${TURNS:-5}
JOPTS=${JOPTS--XX:TieredStopAtLevel=1}
ZIPKIN_PORT=${ZIPKIN_PORT:-19411}
OUT=benchmarks/target/startup-steps
source benchmarks/e2e-configs.sh
for config in $CONFIGS; do
  [ -n "${EXCLUDE[$config]+set}" ] || { echo "unknown configuration: $config" >&2; exit 2; }
done
rm -rf $OUT
mkdir -p $OUT

read -ra order <<< "$CONFIGS"
for turn in $(seq 1 "$TURNS"); do
  for config in "${order[@]}"; do
    # shellcheck disable=SC2086
    java $JOPTS -Xms512m -Xmx512m -cp "$(classpath_without "${EXCLUDE[$config]}")" \
      dev.tracing.benchmarks.e2e.StartupSteps --server.port=0 --spring.application.name=e2e \
      --logging.level.root=warn ${ARGS[$config]} > "$OUT/$config-$turn.txt" 2>&1 \
      || { echo "$config failed: $OUT/$config-$turn.txt" >&2; exit 1; }
    echo "   turn $turn $config: $(grep -m1 '^STARTUP' "$OUT/$config-$turn.txt" || echo "no figures")"
  done
  order=("${order[@]:1}" "${order[0]}")
done
# shellcheck disable=SC2086
java -cp "$APP_JAR:$(cat benchmarks/target/classpath.txt)" dev.tracing.benchmarks.e2e.StartupSteps --summary "$OUT" \
  $CONFIGS
