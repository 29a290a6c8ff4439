#!/usr/bin/env bash
# End-to-end overhead of tracing: the same WebFlux app (GET /front makes one WebClient call to
# GET /back) in six configurations (five of issue 9, plus ours with limited Reactor propagation), each loaded by wrk from a separate process on loopback for a
# fixed duration and connection count after a warm-up that is not measured. Prints requests/s,
# p50 and p99 latency and allocation, each as a ratio to the configuration without tracing.
#
# Needs wrk (Debian: apt-get install wrk) and curl. Run from anywhere:
#   benchmarks/e2e.sh
# Tunables (environment): DURATION (s measured, 30), WARMUP (s, 20), CONNECTIONS (32), HEAP (512m),
# CONFIGS (subset of: none ours ours-limited ours-zipkin boot-otel brave), PORT (18080), ZIPKIN_PORT (19411),
# SKIP_BUILD=1 to reuse the last build.
# About (startup + WARMUP + DURATION) per configuration: the 6 configurations at the defaults take ~6 min.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-30}
WARMUP=${WARMUP:-20}
CONNECTIONS=${CONNECTIONS:-32}
HEAP=${HEAP:-512m}
CONFIGS=${CONFIGS:-"none ours ours-limited ours-zipkin boot-otel brave"}
PORT=${PORT:-18080}
ZIPKIN_PORT=${ZIPKIN_PORT:-19411}
OUT=benchmarks/target/e2e

command -v wrk >/dev/null || { echo "e2e.sh needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "e2e.sh needs curl" >&2; exit 1; }

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "building (mvn install -DskipTests) ..."
  mvn -B -q install -DskipTests
  mvn -B -q dependency:build-classpath -pl benchmarks -Dmdep.outputFile=target/classpath.txt
  mvn -B -q -N dependency:copy -Dartifact=io.zipkin:zipkin-server:3.6.1:jar:exec \
    -DoutputDirectory=$OUT -Dmdep.stripVersion=true
fi
mkdir -p $OUT
APP_JAR=benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar

# The classpath of benchmarks/ without the jars whose names start with one of the given prefixes
# (an extended regex alternation): each configuration is the app with only its tracer's jars.
classpath_without() {
  echo -n "$APP_JAR:"
  tr ':' '\n' < benchmarks/target/classpath.txt | grep -Ev "/($1)[^/]*\.jar$" | paste -sd: -
}

# What each configuration leaves out, and its arguments.
OURS_JARS='trace-core|trace-spring-boot-'
BRAVE_JARS='brave|micrometer-tracing-bridge-brave'
OTEL_JARS='opentelemetry|micrometer-tracing-bridge-otel|spring-boot-micrometer-tracing-opentelemetry|spring-boot-opentelemetry'
BOOT_TRACING_JARS='spring-boot-micrometer-tracing|spring-boot-micrometer-observation'
declare -A EXCLUDE ARGS
EXCLUDE[none]="$OURS_JARS|$BRAVE_JARS|$OTEL_JARS|$BOOT_TRACING_JARS|micrometer-tracing"
EXCLUDE[ours]="$BRAVE_JARS|$OTEL_JARS|$BOOT_TRACING_JARS"
EXCLUDE[ours-limited]="${EXCLUDE[ours]}"
EXCLUDE[ours-zipkin]="${EXCLUDE[ours]}"
EXCLUDE[boot-otel]="$OURS_JARS|$BRAVE_JARS"
EXCLUDE[brave]="$OURS_JARS|$OTEL_JARS"
ARGS[none]=""
ARGS[ours]="--trace.sampling.probability=1.0 --trace.sampling.rate-limit=0"
# the peers restore the trace around Reactor operators only where asked (Boot's default); ours does it
# around every operator by default (trace.reactor.context-propagation=auto): measured both ways
ARGS[ours-limited]="${ARGS[ours]} --trace.reactor.context-propagation=limited"
ARGS[ours-zipkin]="${ARGS[ours]} --trace.export.zipkin.endpoint=http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans"
ARGS[boot-otel]="--management.tracing.sampling.probability=1.0"
ARGS[brave]=""

PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

await() { # url, seconds
  for _ in $(seq 1 $(( $2 * 4 ))); do curl -sf -o /dev/null "$1" && return 0; sleep 0.25; done
  echo "no answer from $1" >&2; return 1
}

# wrk latency ("812.00us", "1.20ms", "1.01s") in milliseconds
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }

RESULTS=$OUT/results.tsv
printf "config\treq_per_s\tp50_ms\tp99_ms\talloc_mb_per_s\tbytes_per_req\ttraceparent_seen\n" > $RESULTS

for config in $CONFIGS; do
  if [ "$config" = ours-zipkin ]; then
    java -Xmx1g -jar $OUT/zipkin-server-exec.jar --server.port=$ZIPKIN_PORT --logging.level.root=WARN \
      > $OUT/zipkin.log 2>&1 &
    ZIPKIN_PID=$!; PIDS+=($ZIPKIN_PID)
    await "http://127.0.0.1:$ZIPKIN_PORT/health" 120
  fi
  echo "== $config"
  # shellcheck disable=SC2086
  java -Xms$HEAP -Xmx$HEAP -cp "$(classpath_without "${EXCLUDE[$config]}")" dev.tracing.benchmarks.e2e.EndToEndApp \
    --server.port=$PORT --spring.application.name=e2e ${ARGS[$config]} > $OUT/$config.log 2>&1 &
  APP_PID=$!; PIDS+=($APP_PID)
  await "http://127.0.0.1:$PORT/allocated" 120
  seen=$(curl -s "http://127.0.0.1:$PORT/front")
  wrk -t1 -c$CONNECTIONS -d${WARMUP}s "http://127.0.0.1:$PORT/front" > $OUT/$config-warmup.txt
  before=$(curl -s "http://127.0.0.1:$PORT/allocated")
  wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency "http://127.0.0.1:$PORT/front" > $OUT/$config.txt
  after=$(curl -s "http://127.0.0.1:$PORT/allocated")
  kill $APP_PID; wait $APP_PID 2>/dev/null || true
  if [ "$config" = ours-zipkin ]; then
    echo "   zipkin services: $(curl -s "http://127.0.0.1:$ZIPKIN_PORT/api/v2/services")"
    kill $ZIPKIN_PID; wait $ZIPKIN_PID 2>/dev/null || true
  fi
  if grep -q "Non-2xx\|Socket errors" $OUT/$config.txt; then
    echo "   errors under load: $(grep 'Non-2xx\|Socket errors' $OUT/$config.txt)" >&2
  fi
  rps=$(awk '/^Requests\/sec/ {print $2}' $OUT/$config.txt)
  requests=$(awk '/requests in/ {print $1}' $OUT/$config.txt)
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' $OUT/$config.txt)")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' $OUT/$config.txt)")
  alloc=$(awk -v b="$before" -v a="$after" -v d="$DURATION" 'BEGIN { printf "%.1f", (a - b) / d / 1e6 }')
  perreq=$(awk -v b="$before" -v a="$after" -v n="$requests" 'BEGIN { printf "%.0f", (a - b) / n }')
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$config" "$rps" "$p50" "$p99" "$alloc" "$perreq" "$seen" >> $RESULTS
  echo "   $rps req/s, p50 $p50 ms, p99 $p99 ms, $alloc MB/s, $perreq B/request; /back saw traceparent: $seen"
done

echo
echo "| configuration | req/s | p50 ms | p99 ms | alloc MB/s | B/request | throughput | p50 | p99 | B/request |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
awk -F'\t' 'NR == 1 { next }
  $1 == "none" { r = $2; p5 = $3; p9 = $4; b = $6; base = 1 }
  { rows[NR] = $0 }
  END {
    for (i = 2; i <= NR; i++) {
      split(rows[i], f, "\t")
      if (base) printf "| %s | %.0f | %.2f | %.2f | %.0f | %.0f | %.2f× | %.2f× | %.2f× | %.2f× |\n", f[1], f[2], f[3], f[4], f[5], f[6], f[2] / r, f[3] / p5, f[4] / p9, f[6] / b
      else printf "| %s | %.0f | %.2f | %.2f | %.0f | %.0f | | | | |\n", f[1], f[2], f[3], f[4], f[5], f[6]
    }
  }' $RESULTS
echo
echo "Ratios are to 'none' (no tracing), same run; raw wrk output and app logs in $OUT/."
