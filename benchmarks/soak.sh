#!/usr/bin/env bash
# Soak: drives the sample app's GET /api/chain (WebClient, RestTemplate and Kafka in one trace) at
# full speed for a set duration, on loopback, with its Zipkin export pointed at a dead port (an
# exporter outage for the whole run). Every INTERVAL seconds it forces a full GC (jcmd) and records
# the heap after it; at the end, with the app idle, it checks what a leak would show:
#   - heap after GC stays flat once the in-memory store is full (growth within GROWTH_PCT);
#   - no span is left open (trace.spans.open == 0);
#   - no thread keeps a current trace context (trace.context.threads == 0);
#   - every ended span is accounted for by the exporter: exported + dropped (by reason) == ended,
#     so drops are counted, not silent.
# Prints the series and those figures, and exits non-zero when a check fails.
#
# Needs wrk (Debian: apt-get install wrk), curl and a JDK's jcmd. Run from anywhere:
#   benchmarks/soak.sh
# Tunables (environment): DURATION (s of load, 300), INTERVAL (s between heap samples, 30),
# CONNECTIONS (16), HEAP (512m), PORT (18090), DEAD_PORT (19499, nothing may listen there),
# GROWTH_PCT (10), SKIP_BUILD=1 to reuse the last build.
# Takes DURATION plus about a minute (start-up, drain, checks), plus the build.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-300}
INTERVAL=${INTERVAL:-30}
CONNECTIONS=${CONNECTIONS:-16}
HEAP=${HEAP:-512m}
PORT=${PORT:-18090}
DEAD_PORT=${DEAD_PORT:-19499}
GROWTH_PCT=${GROWTH_PCT:-10}
OUT=benchmarks/target/soak
JAR=sample-app/target/sample-app-0.1.0-SNAPSHOT.jar
BASE=http://127.0.0.1:$PORT

command -v wrk >/dev/null || { echo "soak.sh needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "soak.sh needs curl" >&2; exit 1; }
command -v jcmd >/dev/null || { echo "soak.sh needs jcmd (in the JDK's bin)" >&2; exit 1; }

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "building (mvn install -DskipTests) ..."
  mvn -B -q install -DskipTests
fi
mkdir -p $OUT

java -Xms$HEAP -Xmx$HEAP -jar $JAR --server.port=$PORT \
  --management.endpoints.web.exposure.include=health,traces,metrics \
  --trace.export.zipkin.endpoint=http://127.0.0.1:$DEAD_PORT/api/v2/spans \
  --trace.export.batch.timeout=1s --logging.level.root=WARN > $OUT/app.log 2>&1 &
APP_PID=$!
trap 'kill $APP_PID 2>/dev/null || true' EXIT

for _ in $(seq 1 480); do curl -sf -o /dev/null "$BASE/actuator/health" && break; sleep 0.25; done
curl -sf -o /dev/null "$BASE/actuator/health" || { echo "the sample app did not start; see $OUT/app.log" >&2; exit 1; }

# one figure from /actuator/metrics: name, then tag=value pairs
metric() {
  local name=$1 query="" sep="?"
  shift
  for tag in "$@"; do query="$query${sep}tag=$tag"; sep="&"; done
  curl -sf "$BASE/actuator/metrics/$name$query" | sed -E 's/.*"value":([-0-9.eE+]+).*/\1/' | awk '{ printf "%.0f", $1 }'
}

heap_after_gc() {
  jcmd $APP_PID GC.run > /dev/null
  sleep 1
  metric jvm.memory.used area:heap
}

MAX_SPANS=10000
SERIES=$OUT/series.tsv
printf "t_s\treq_per_s\theap_after_gc_mb\tspans_in_store\tspans_started\n" > $SERIES
echo "t_s  req/s  heap after GC (MB)  spans in store  spans started"
elapsed=0
while [ $elapsed -lt "$DURATION" ]; do
  slice=$(( DURATION - elapsed < INTERVAL ? DURATION - elapsed : INTERVAL ))
  wrk -t1 -c$CONNECTIONS -d${slice}s "$BASE/api/chain" > $OUT/wrk-$elapsed.txt
  elapsed=$(( elapsed + slice ))
  if grep -q "Non-2xx\|Socket errors" $OUT/wrk-$((elapsed - slice)).txt; then
    echo "   errors under load: $(grep 'Non-2xx\|Socket errors' $OUT/wrk-$((elapsed - slice)).txt)" >&2
  fi
  rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' $OUT/wrk-$((elapsed - slice)).txt)
  heap=$(heap_after_gc)
  heap_mb=$(awk -v h="$heap" 'BEGIN { printf "%.1f", h / 1048576 }')
  stored=$(metric trace.memory.spans)
  started=$(metric trace.spans.started)
  printf "%s\t%s\t%s\t%s\t%s\n" $elapsed "$rps" "$heap_mb" "$stored" "$started" >> $SERIES
  printf "%4s  %5s  %18s  %14s  %13s\n" $elapsed "$rps" "$heap_mb" "$stored" "$started"
done

# idle: let the listener, the in-flight spans and the export queue settle
for _ in $(seq 1 60); do
  [ "$(metric trace.spans.open)" = 0 ] && [ "$(metric trace.export.queue.size)" = 0 ] && break
  sleep 0.5
done
sleep 2

started=$(metric trace.spans.started)
open=$(metric trace.spans.open)
threads=$(metric trace.context.threads)
queued=$(metric trace.export.queue.size)
exported=$(metric trace.export.spans.exported exporter:zipkin)
failed=$(metric trace.export.spans.dropped exporter:zipkin reason:export_failed)
full=$(metric trace.export.spans.dropped exporter:zipkin reason:queue_full)
shutdown=$(metric trace.export.spans.dropped exporter:zipkin reason:shutdown)
ended=$(( started - open ))
accounted=$(( exported + failed + full + shutdown + queued ))

# heap growth from the first sample with a full store to the last sample
growth=$(awk -F'\t' -v max=$MAX_SPANS 'NR > 1 && $4 >= max * 0.9 { if (first == "") first = $3; last = $3 }
  END { if (first == "") print "n/a"; else printf "%.1f", (last - first) * 100 / first }' $SERIES)

echo
echo "| figure | value |"
echo "| --- | ---: |"
echo "| spans started | $started |"
echo "| spans left open | $open |"
echo "| threads with a trace context | $threads |"
echo "| spans exported / dropped (export_failed, queue_full, shutdown) / queued | $exported / $failed, $full, $shutdown / $queued |"
echo "| ended spans not accounted for by the exporter | $(( ended - accounted )) |"
echo "| heap after GC, growth once the store was full | $growth % |"

status=0
[ "$open" = 0 ] || { echo "FAIL: $open spans left open" >&2; status=1; }
[ "$threads" = 0 ] || { echo "FAIL: $threads threads kept a trace context" >&2; status=1; }
[ "$ended" = "$accounted" ] || { echo "FAIL: $(( ended - accounted )) ended spans neither exported nor counted as dropped" >&2; status=1; }
if [ "$growth" = "n/a" ]; then
  echo "FAIL: the in-memory store never filled ($MAX_SPANS spans); run longer" >&2; status=1
elif awk -v g="$growth" -v m="$GROWTH_PCT" 'BEGIN { exit !(g > m) }'; then
  echo "FAIL: heap after GC grew $growth % once the store was full (limit $GROWTH_PCT %)" >&2; status=1
fi
[ $status = 0 ] && echo "PASS: flat heap, no open span, no thread with a context, every drop counted"
echo "Series in $SERIES, wrk output and the app log in $OUT/."
exit $status
