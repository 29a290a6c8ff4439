#!/usr/bin/env bash
# CPU time per request by owner and by method, for configurations of benchmarks/e2e.sh, from a perf
# profile of the in-memory request benchmark (InMemoryRequestBenchmark: GET /front with no socket, on one
# thread). Each configuration runs in its own JVM (-XX:+PreserveFramePointer, so that perf can walk the
# JIT's frames) inside JMH's own process; perf records its stacks (cpu-clock, FREQ samples a second per
# thread) for DURATION seconds of the measured iterations, the JVM writes its perf map (jcmd
# Compiler.perfmap) to name the JIT's code, and dev.tracing.benchmarks.profile.PerfSites prints the
# microseconds per request by owner and by method. With two or more configurations, each after the first is
# also printed against the first: what it adds per request. Profiling makes the benchmark slower (the
# frame pointers, the sampling); the score the figures are scaled by is the one measured under it.
#
# Usage, after the build steps in benchmarks/README.md (about a minute per configuration; needs perf,
# Debian: apt-get install linux-perf, with kernel.perf_event_paranoid at 2 or lower, and jcmd):
#   benchmarks/cpu-profile.sh none ours-limited brave
# Tunables (environment): WARMUP (s of JMH warm-up before perf starts, 20), DURATION (s recorded, 25),
# FREQ (499).
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 1 ] || { echo "usage: benchmarks/cpu-profile.sh <config>..." >&2; exit 2; }
WARMUP=${WARMUP:-20}
DURATION=${DURATION:-25}
FREQ=${FREQ:-499}
ZIPKIN_PORT=${ZIPKIN_PORT:-19411}
OUT=benchmarks/target/cpu-profile
source benchmarks/e2e-configs.sh
for tool in perf jcmd; do
  command -v $tool >/dev/null || { echo "cpu-profile.sh needs $tool (Debian: apt-get install linux-perf)" >&2; exit 1; }
done
for config in "$@"; do
  [ -n "${EXCLUDE[$config]+set}" ] || { echo "unknown configuration: $config" >&2; exit 2; }
done
mkdir -p $OUT

declare -A SCORE
for config in "$@"; do
  log=$OUT/$config.log
  # more iterations (2 s each) than the run needs: it is stopped once recorded
  java -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints \
    -cp "$(classpath_without "${EXCLUDE[$config]}")" org.openjdk.jmh.Main InMemoryRequestBenchmark \
    -p "args=${ARGS[$config]:---e2e.none=true}" -f 0 -wi 0 -i 1000 > "$log" 2>&1 &
  pid=$!
  sleep "$WARMUP"
  kill -0 $pid 2>/dev/null || { echo "$config failed: $log" >&2; exit 1; }
  before=$(grep -c '^Iteration' "$log" || true)
  perf record -e cpu-clock -F "$FREQ" -g -p $pid -o $OUT/$config.data -- sleep "$DURATION" > /dev/null 2>&1
  # JMH prints an iteration's line as it starts and its score as it ends: count only those ended
  after=$(grep -cE '^Iteration +[0-9]+: [0-9.]+ ns/op' "$log" || true)
  jcmd $pid Compiler.perfmap > /dev/null
  perf script -i $OUT/$config.data 2> /dev/null > $OUT/$config.txt
  kill $pid; wait $pid 2>/dev/null || true
  rm -f /tmp/perf-$pid.map
  # the mean of the iterations that started and ended while perf recorded, in µs
  SCORE[$config]=$(grep -E '^Iteration' "$log" | awk -v from=$(( before + 1 )) -v to=$after \
    'NR >= from && NR <= to && $4 == "ns/op" { sum += $3; n++ } END { if (n) printf "%.2f", sum / n / 1000 }')
  [ -n "${SCORE[$config]}" ] || { echo "$config: no iteration ended while recorded: $log" >&2; exit 1; }
  echo "== $config: $(grep -m1 -o 'GET /front answered: .*' "$log"), ${SCORE[$config]} µs per request while profiled"
done

SITES="java -cp benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar dev.tracing.benchmarks.profile.PerfSites"
first=$1
$SITES $OUT/$first.txt "${SCORE[$first]}"
shift
for config in "$@"; do
  echo
  $SITES $OUT/$config.txt "${SCORE[$config]}" $OUT/$first.txt "${SCORE[$first]}"
done
