#!/usr/bin/env bash
# Exact bytes per request, by site, for one configuration of benchmarks/e2e.sh: the e2e app runs with
# -XX:-UseTLAB, so that every allocation takes the slow path and is one JFR event (a count, not a
# sample), under a light load (CONNECTIONS, 2) after a warm-up; then
# dev.tracing.benchmarks.profile.AllocationSites prints the bytes per request by thread, by class, by
# site (the first frame outside the JDK) and charged to our first frame on the stack, and writes them
# as $OUT/alloc-<config>-<path>.tsv. Compare two configurations' tables with
#   java -cp benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar dev.tracing.benchmarks.profile.AllocationSites \
#     diff benchmarks/target/e2e/alloc-none-front.tsv benchmarks/target/e2e/alloc-ours-limited-front.tsv
# Without a TLAB the app runs several times slower, so the figures are bytes, never time. Strings that
# Reactor and Spring build by concatenation take one object or three depending on how the JIT compiled
# the code around them: read a difference of a few hundred bytes at such a site as noise.
#
# Usage, after the build steps in benchmarks/README.md (about a minute; needs wrk, curl and jcmd; any
# configuration of e2e.sh but ours-zipkin):
#   benchmarks/alloc-profile.sh <config> [front|order-page]
# Tunables (environment): WARMUP (s, 15), DURATION (s recorded, 10), CONNECTIONS (2), PORT (18180).
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIG=${1:?usage: benchmarks/alloc-profile.sh <config> [front|order-page]}
PATH_NAME=${2:-front}
WARMUP=${WARMUP:-15}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-2}
PORT=${PORT:-18180}
ZIPKIN_PORT=${ZIPKIN_PORT:-19411}
OUT=benchmarks/target/e2e
source benchmarks/e2e-configs.sh
[ -n "${EXCLUDE[$CONFIG]+set}" ] || { echo "unknown configuration: $CONFIG" >&2; exit 2; }
# its exporter would fail against a Zipkin server this script does not start, and those failures be counted
[ "$CONFIG" != ours-zipkin ] || { echo "ours-zipkin needs a Zipkin server: profile it by hand" >&2; exit 2; }
for tool in wrk curl jcmd; do
  command -v $tool >/dev/null || { echo "alloc-profile.sh needs $tool (Debian: apt-get install wrk)" >&2; exit 1; }
done
mkdir -p $OUT

JFC=$OUT/allocation-outside-tlab.jfc
cat > $JFC <<'JFC'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0" label="allocations" description="every allocation outside a TLAB, with its stack">
  <event name="jdk.ObjectAllocationOutsideTLAB">
    <setting name="enabled">true</setting>
    <setting name="stackTrace">true</setting>
  </event>
</configuration>
JFC

LOG=$OUT/alloc-$CONFIG-$PATH_NAME.log
# G1: with Serial or Parallel GC, compiled code allocates straight into eden without a TLAB, and no event is sent
# shellcheck disable=SC2086
java -Xms512m -Xmx512m -XX:+UseG1GC -XX:-UseTLAB -XX:FlightRecorderOptions:stackdepth=256 \
  -cp "$(classpath_without "${EXCLUDE[$CONFIG]}")" dev.tracing.benchmarks.e2e.EndToEndApp \
  --server.port=$PORT --spring.application.name=e2e ${ARGS[$CONFIG]} > $LOG 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/allocated"; do
  kill -0 $APP 2>/dev/null || { echo "$CONFIG did not start: $LOG" >&2; exit 1; }
  sleep 0.25
done
URL="http://127.0.0.1:$PORT/$PATH_NAME"
echo "$CONFIG /$PATH_NAME answered: $(curl -s "$URL" | head -c 200)"
echo "warm-up: $(wrk -t1 -c$CONNECTIONS -d${WARMUP}s "$URL" | awk '/requests in/ {print $1}') requests in ${WARMUP} s"
REC=$PWD/$OUT/alloc-$CONFIG-$PATH_NAME.jfr
jcmd $APP JFR.start name=alloc settings="$PWD/$JFC" > /dev/null
wrk -t1 -c$CONNECTIONS -d${DURATION}s "$URL" > $OUT/alloc-$CONFIG-$PATH_NAME-wrk.txt
jcmd $APP JFR.stop name=alloc filename="$REC" > /dev/null
if grep -q "Non-2xx\|Socket errors" $OUT/alloc-$CONFIG-$PATH_NAME-wrk.txt; then
  echo "errors under load: $(grep 'Non-2xx\|Socket errors' $OUT/alloc-$CONFIG-$PATH_NAME-wrk.txt)" >&2; exit 1
fi
REQUESTS=$(awk '/requests in/ {print $1}' $OUT/alloc-$CONFIG-$PATH_NAME-wrk.txt)
[ -n "$REQUESTS" ] || { echo "wrk reported no requests" >&2; exit 1; }
java -cp $APP_JAR dev.tracing.benchmarks.profile.AllocationSites \
  report "$REC" "$REQUESTS" $OUT/alloc-$CONFIG-$PATH_NAME.tsv
