#!/usr/bin/env bash
# What each tracer costs one WebFlux request with no socket: InMemoryRequestBenchmark (GET /front of the
# end-to-end app, whose WebClient call to /back goes straight back into the app's HttpHandler, all on
# the benchmark's thread) once per configuration of e2e-configs.sh, each on its own classpath as in
# e2e.sh, in ROUNDS rounds whose order rotates. Without Netty, the loopback, the event loops and wrk
# on the same two cores, the figures are steadier than e2e.sh's, and what differs between the
# configurations is the tracers' work on the Spring and Reactor side (their Reactor Netty paths are not
# taken). Prints, per configuration, the median over the rounds of the time per request (JMH's score),
# the bytes it allocates (-prof gc) and the JVM's CPU time per request (every thread), what each adds
# over `none` in the same round, and the lower quartile of its CPU per request over all its measured
# iterations less none's (the machine's slow phases, a few iterations long, land in a round or not).
#
# Run from anywhere:
#   benchmarks/in-memory.sh
# Tunables (environment): CONFIGS ("none ours ours-limited brave brave-auto boot-otel"; include none),
# ROUNDS (2), WI and I (JMH warm-up and measured iterations of 2 s each, 8 and 5), SKIP_BUILD=1 to reuse
# the last build. About (WI + I) x 2 s plus 10 s of start-up per configuration and round: 8 minutes at
# the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIGS=${CONFIGS:-"none ours ours-limited brave brave-auto boot-otel"}
ROUNDS=${ROUNDS:-2}
WI=${WI:-8}
I=${I:-5}
OUT=benchmarks/target/in-memory

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "building (mvn install -DskipTests) ..."
  mvn -B -q install -DskipTests
  mvn -B -q dependency:build-classpath -pl benchmarks -Dmdep.outputFile=target/classpath.txt
fi
mkdir -p $OUT
rm -f $OUT/*.csv $OUT/*.log
ZIPKIN_PORT=${ZIPKIN_PORT:-19411}
# the configurations: each one's classpath (classpath_without "${EXCLUDE[$config]}") and arguments
source benchmarks/e2e-configs.sh

read -r -a configs <<< "$CONFIGS"
n=${#configs[@]}
for round in $(seq 1 "$ROUNDS"); do
  for i in $(seq 0 $(( n - 1 ))); do
    config=${configs[$(( (i + round - 1) % n ))]}
    [ -n "${EXCLUDE[$config]+x}" ] || { echo "unknown configuration $config" >&2; exit 1; }
    log=$OUT/$config-$round.log
    java -cp "$(classpath_without "${EXCLUDE[$config]}")" org.openjdk.jmh.Main InMemoryRequestBenchmark \
      -p "args=${ARGS[$config]:---e2e.none=true}" -wi "$WI" -i "$I" \
      -prof gc -prof dev.tracing.benchmarks.profile.ProcessCpuProfiler \
      -rf csv -rff $OUT/$config-$round.csv > "$log" 2>&1 || { echo "$config failed: $log" >&2; exit 1; }
    echo "round $round, $config: $(grep -m1 -o 'GET /front answered: .*' "$log")"
  done
done

# one line per configuration and round: config round ns B cpu
for csv in $OUT/*.csv; do
  name=$(basename "$csv" .csv)
  awk -F, -v config="${name%-*}" -v round="${name##*-}" '
    $1 ~ /front"$/ { ns = $5 }
    $1 ~ /gc.alloc.rate.norm"$/ { bytes = $5 }
    $1 ~ /cpu.time.norm"$/ { cpu = $5 }
    END { print config, round, ns, bytes, cpu }' "$csv"
done > $OUT/results.txt

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# the lower quartile of one configuration's CPU per request over all its measured iterations (all rounds):
# steadier than a round's mean where the machine has slow phases that last a few iterations
cpu_q1() {
  for round in $(seq 1 "$ROUNDS"); do
    awk '/^Iteration/ { measured = 1; next } measured && /^[ \t]+cpu.time.norm:/ { print $2; measured = 0 }' \
      "$OUT/$1-$round.log"
  done | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR - 1) / 4) + 1] }'
}
none_q1=$(cpu_q1 none)
echo
echo "| configuration | µs/request | B/request | CPU µs/request | added µs | added B | added CPU µs | added CPU µs, lower quartile |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for config in "${configs[@]}"; do
  ns=$(awk -v c="$config" '$1 == c { print $3 }' $OUT/results.txt | median)
  bytes=$(awk -v c="$config" '$1 == c { print $4 }' $OUT/results.txt | median)
  cpu=$(awk -v c="$config" '$1 == c { print $5 }' $OUT/results.txt | median)
  # added: this configuration minus none in the same round, median over rounds
  added() { awk -v c="$config" -v f="$1" '
      { v[$1 "," $2] = $f; rounds[$2] = 1 }
      END { for (r in rounds) if ((c "," r) in v && ("none," r) in v) print v[c "," r] - v["none," r] }' \
      $OUT/results.txt | median; }
  awk -v c="$config" -v ns="$ns" -v b="$bytes" -v cpu="$cpu" -v an="$(added 3)" -v ab="$(added 4)" -v ac="$(added 5)" \
    -v q1="$(cpu_q1 "$config")" -v nq1="$none_q1" \
    'BEGIN { printf "| %s | %.1f | %.0f | %.1f | %+.1f | %+.0f | %+.1f | %+.1f |\n", c, ns / 1000, b, cpu / 1000, an / 1000, ab, ac / 1000, (q1 - nq1) / 1000 }'
done
