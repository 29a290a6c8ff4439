#!/usr/bin/env bash
# End-to-end overhead of tracing: the same WebFlux app (GET /front makes one WebClient call to
# GET /back) in eight configurations: none, ours, ours with limited Reactor propagation, ours
# exporting to Zipkin, the Brave and OpenTelemetry bridges as Boot configures them, and the two
# peers with Boot's automatic Reactor propagation (what ours does by default),
# loaded by wrk from a separate process on loopback for a fixed duration and connection count.
# Two request pairs: /front (one call to /back, which does nothing) and /order-page (one call to
# /orders, which builds and serializes a JSON page of about 20 KB, about a millisecond of work).
# Prints, per pair, requests/s, p50 and p99 latency, allocation per request and process CPU per
# request, each as a ratio to the configuration without tracing, and what tracing adds per
# request (bytes and CPU microseconds) against it; then each configuration's start-up time (JVM
# start to the first answered /front, median of STARTS starts, the configurations taking turns) and
# the CPU time the process took by then.
#
# Every configuration runs in its own JVM, all started and warmed up (not measured) first. The
# measured runs then take turns: ROUNDS rounds, each running every configuration once, in an order
# that rotates each round. A ratio is taken within a round, against that round's run without
# tracing, and the table shows the median over the rounds. So a change in the machine's speed
# during the run (this is a shared VM) moves every configuration alike instead of favouring the
# ones measured while it was fast.
#
# Needs wrk (Debian: apt-get install wrk) and curl. Run from anywhere:
#   benchmarks/e2e.sh
# Tunables (environment): ROUNDS (3), DURATION (s measured per configuration, path and round, 20),
# PATHS ("front order-page"), STARTS (3; 0 skips the start-up measurement),
# WARMUP (s per configuration, 20), CONNECTIONS (32), HEAP (512m),
# CONFIGS (subset of: none ours ours-limited ours-limited-nostore ours-limited-unsampled ours-1pct ours-1pct-keep
# ours-zipkin boot-otel boot-otel-auto brave brave-auto; include none for the ratios),
# PORT (the first configuration's; the others count up from it, 18080), ZIPKIN_PORT (19411),
# JVMS (1): how many times to start every configuration afresh and run the ROUNDS again; the bytes a request
# allocates depend on how each JVM compiled the code (by up to 3 KB on /order-page), so JVMS=3 gives each
# configuration three JVMs and the medians and ranges are over all JVMS x ROUNDS rounds,
# SKIP_BUILD=1 to reuse the last build, JFR=1 to record the measured window of each configuration with
# JFR's profile settings (or JFR_SETTINGS, a .jfc file) into $OUT/<config>-<path>-<round>.jfr (read with:
# jfr print --events jdk.ExecutionSample ...).
# About (STARTS starts + PATHS x (WARMUP + ROUNDS x DURATION)) per configuration: the 8 configurations
# at the defaults take about 30 min (the WARMUP and ROUNDS part JVMS times). Each app's GC log is $OUT/<config>-gc.log
# (<config>-jvm<n>-gc.log with JVMS above 1).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
JVMS=${JVMS:-1}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-20}
CONNECTIONS=${CONNECTIONS:-32}
HEAP=${HEAP:-512m}
CONFIGS=${CONFIGS:-"none ours ours-limited ours-zipkin boot-otel boot-otel-auto brave brave-auto"}
PATHS=${PATHS:-"front order-page"}
STARTS=${STARTS:-3}
PORT=${PORT:-18080}
ZIPKIN_PORT=${ZIPKIN_PORT:-19411}
OUT=benchmarks/target/e2e

command -v wrk >/dev/null || { echo "e2e.sh needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "e2e.sh needs curl" >&2; exit 1; }

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "building (mvn install -DskipTests) ..."
  mvn -B -q install -DskipTests
  mvn -B -q dependency:build-classpath -pl benchmarks -Dmdep.outputFile=target/classpath.txt
fi
# the Zipkin server ours-zipkin exports to (with SKIP_BUILD=1 too, where it is missing)
if [[ " $CONFIGS " == *" ours-zipkin "* && ! -f $OUT/zipkin-server-exec.jar ]]; then
  mvn -B -q -N dependency:copy -Dartifact=io.zipkin:zipkin-server:3.6.1:jar:exec \
    -DoutputDirectory=$OUT -Dmdep.stripVersion=true
fi
mkdir -p $OUT
# the configurations: each one's classpath (classpath_without "${EXCLUDE[$config]}") and arguments
source benchmarks/e2e-configs.sh

PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

await() { # url, seconds
  for _ in $(seq 1 $(( $2 * 4 ))); do curl -sf -o /dev/null "$1" && return 0; sleep 0.25; done
  echo "no answer from $1" >&2; return 1
}

# wrk latency ("812.00us", "1.20ms", "1.01s") in milliseconds
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }

rm -f $OUT/*.jfr
if [[ " $CONFIGS " == *" ours-zipkin "* ]]; then
  java -Xmx1g -jar $OUT/zipkin-server-exec.jar --server.port=$ZIPKIN_PORT --logging.level.root=WARN \
    > $OUT/zipkin.log 2>&1 &
  ZIPKIN_PID=$!; PIDS+=($ZIPKIN_PID)
  await "http://127.0.0.1:$ZIPKIN_PORT/health" 120
fi

# start-up: each configuration alone on the machine, from the JVM's start to the first answered /front; the
# configurations take turns (start 1 of each, then start 2 of each, ...), in an order that rotates each turn,
# and what each adds is taken against none's start in the same turn, so a drift in the machine's speed moves
# them alike. Also the process's CPU time by then (all its threads, the JIT compilers' included): a second
# measure ("-" where /proc is not there).
STARTUP=$OUT/startup.tsv
printf "config\tstart\tms\tcpu_ms\n" > $STARTUP
if [ "$STARTS" -gt 0 ]; then
  read -r -a start_order <<< "$CONFIGS"
  for start in $(seq 1 "$STARTS"); do
    for config in "${start_order[@]}"; do
      t0=$(date +%s%N)
      # shellcheck disable=SC2086
      java -Xms$HEAP -Xmx$HEAP -cp "$(classpath_without "${EXCLUDE[$config]}")" dev.tracing.benchmarks.e2e.EndToEndApp \
        --server.port=$PORT --spring.application.name=e2e ${ARGS[$config]} > $OUT/$config-start.log 2>&1 &
      pid=$!
      until curl -sf -o /dev/null "http://127.0.0.1:$PORT/front"; do
        kill -0 $pid 2>/dev/null || { echo "$config did not start: $OUT/$config-start.log" >&2; exit 1; }
        sleep 0.01
      done
      t1=$(date +%s%N)
      # utime + stime, in clock ticks
      cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1000 / hz }' /proc/$pid/stat 2>/dev/null || echo -)
      kill $pid; wait $pid 2>/dev/null || true
      printf "%s\t%s\t%s\t%s\n" "$config" "$start" $(( (t1 - t0) / 1000000 )) "$cpu" >> $STARTUP
      echo "   start-up $config #$start: $(( (t1 - t0) / 1000000 )) ms, $cpu ms CPU"
    done
    start_order=("${start_order[@]:1}" "${start_order[0]}")
  done
fi

RESULTS=$OUT/results.tsv
printf "round\tconfig\tpath\treq_per_s\tp50_ms\tp99_ms\talloc_mb_per_s\tbytes_per_req\tcpu_us_per_req\tjvm\n" > $RESULTS
declare -A APP PORTS SEEN
for jvm in $(seq 1 "$JVMS"); do
# each set of JVMs has its own app and GC logs when there are several
logs=""; [ "$JVMS" -gt 1 ] && { logs="-jvm$jvm"; echo "== JVMs #$jvm of $JVMS"; }
# start every configuration, each on its own port; check it traces (or, without tracing, doesn't)
port=$PORT
for config in $CONFIGS; do
  PORTS[$config]=$port; port=$((port + 1))
  # shellcheck disable=SC2086
  java -Xms$HEAP -Xmx$HEAP -Xlog:gc:file=$OUT/$config$logs-gc.log -cp "$(classpath_without "${EXCLUDE[$config]}")" dev.tracing.benchmarks.e2e.EndToEndApp \
    --server.port=${PORTS[$config]} --spring.application.name=e2e ${ARGS[$config]} > $OUT/$config$logs.log 2>&1 &
  APP[$config]=$!; PIDS+=(${APP[$config]})
done
for config in $CONFIGS; do
  await "http://127.0.0.1:${PORTS[$config]}/allocated" 180
  SEEN[$config]=$(curl -s "http://127.0.0.1:${PORTS[$config]}/front")
  echo "== $config (port ${PORTS[$config]}): /front answered (/back's traceparent, the MDC traceId in /front's map): ${SEEN[$config]}"
  echo "   /order-page answered: $(curl -s "http://127.0.0.1:${PORTS[$config]}/order-page")"
done
for config in $CONFIGS; do
  for path in $PATHS; do
    echo "   warming up $config /$path (${WARMUP}s)"
    wrk -t1 -c$CONNECTIONS -d${WARMUP}s "http://127.0.0.1:${PORTS[$config]}/$path" > $OUT/$config-$path-warmup.txt
  done
done

read -r -a order <<< "$CONFIGS"
for run in $(seq 1 "$ROUNDS"); do
  # rounds are numbered across the JVMs: each round's ratios are taken against that round's none
  round=$(( (jvm - 1) * ROUNDS + run ))
  for config in "${order[@]}"; do
    for path in $PATHS; do
      url="http://127.0.0.1:${PORTS[$config]}"
      out=$OUT/$config-$path-$round.txt
      before=$(curl -s "$url/allocated"); cpu_before=$(curl -s "$url/cpu")
      [ -n "${JFR:-}" ] && jcmd ${APP[$config]} JFR.start name=e2e settings=${JFR_SETTINGS:-profile} > /dev/null
      wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency "$url/$path" > $out
      [ -n "${JFR:-}" ] && jcmd ${APP[$config]} JFR.stop name=e2e filename="$PWD/$OUT/$config-$path-$round.jfr" > /dev/null
      after=$(curl -s "$url/allocated"); cpu_after=$(curl -s "$url/cpu")
      if grep -q "Non-2xx\|Socket errors" $out; then
        echo "   errors under load: $(grep 'Non-2xx\|Socket errors' $out)" >&2
      fi
      rps=$(awk '/^Requests\/sec/ {print $2}' $out)
      requests=$(awk '/requests in/ {print $1}' $out)
      p50=$(to_ms "$(awk '$1 == "50%" {print $2}' $out)")
      p99=$(to_ms "$(awk '$1 == "99%" {print $2}' $out)")
      alloc=$(awk -v b="$before" -v a="$after" -v d="$DURATION" 'BEGIN { printf "%.1f", (a - b) / d / 1e6 }')
      perreq=$(awk -v b="$before" -v a="$after" -v n="$requests" 'BEGIN { printf "%.0f", (a - b) / n }')
      cpureq=$(awk -v b="$cpu_before" -v a="$cpu_after" -v n="$requests" 'BEGIN { printf "%.1f", (a - b) / 1000 / n }')
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$round" "$config" "$path" "$rps" "$p50" "$p99" "$alloc" "$perreq" \
        "$cpureq" "$jvm" >> $RESULTS
      echo "   round $round $config /$path: $rps req/s, p50 $p50 ms, p99 $p99 ms, $perreq B/request, $cpureq µs CPU/request"
    done
  done
  order=("${order[@]:1}" "${order[0]}")
done
if [ "$jvm" -lt "$JVMS" ]; then
  # the next JVMs take the same ports
  for config in $CONFIGS; do kill "${APP[$config]}" 2>/dev/null || true; wait "${APP[$config]}" 2>/dev/null || true; done
fi
done
if [ -n "${ZIPKIN_PID:-}" ]; then
  echo "   zipkin services: $(curl -s "http://127.0.0.1:$ZIPKIN_PORT/api/v2/services")"
fi

for path in $PATHS; do
echo
echo "/$path: medians over $(( JVMS * ROUNDS )) rounds of ${DURATION}s ($JVMS JVM(s) per configuration). Each ratio is to 'none' in the same round (median, and in"
echo "brackets the lowest and highest round); 'added' is the median over rounds of this configuration's value minus"
echo "none's in the same round."
echo
echo "| configuration | req/s | p99 ms | B/request | CPU µs/request | throughput | p99 | added B/request | added CPU µs/request |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
awk -F'\t' -v configs="$CONFIGS" -v path="$path" '
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function lo(list,   a, n, i, m) { n = split(list, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
  function hi(list,   a, n, i, m) { n = split(list, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
  function ratio(list) { return sprintf("%.2f× (%.2f–%.2f)", median(list), lo(list), hi(list)) }
  NR == 1 || $3 != path { next }
  { v[$1, $2, "rps"] = $4; v[$1, $2, "p99"] = $6; v[$1, $2, "b"] = $8; v[$1, $2, "cpu"] = $9; if ($1 > rounds) rounds = $1 }
  END {
    n = split(configs, c, " ")
    for (i = 1; i <= n; i++) {
      split("", l); split("", r); split("", d)
      for (k = 1; k <= rounds; k++) {
        for (m = 1; m <= 4; m++) {
          f = m == 1 ? "rps" : m == 2 ? "p99" : m == 3 ? "b" : "cpu"
          l[f] = l[f] " " v[k, c[i], f]
          if ((k, "none", f) in v) { r[f] = r[f] " " (v[k, c[i], f] / v[k, "none", f]); d[f] = d[f] " " (v[k, c[i], f] - v[k, "none", f]) }
        }
      }
      printf "| %s | %.0f | %.2f | %.0f | %.1f |", c[i], median(l["rps"]), median(l["p99"]), median(l["b"]), median(l["cpu"])
      if (r["rps"] != "") printf " %s | %s | %+.0f | %+.1f |\n", ratio(r["rps"]), ratio(r["p99"]), median(d["b"]), median(d["cpu"])
      else printf " | | | |\n"
    }
  }' $RESULTS
done
if [ "$STARTS" -gt 0 ]; then
  echo
  echo "Start-up, JVM start to the first answered /front, each configuration alone, the configurations taking turns,"
  echo "median of $STARTS; and the process's CPU time by then (ms). 'Added' is the median over turns of this"
  echo "configuration's start minus none's in the same turn."
  echo
  echo "| configuration | start-up ms | added ms | CPU ms | added CPU ms |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  awk -F'\t' -v configs="$CONFIGS" '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    NR == 1 { next }
    { ms[$1] = ms[$1] " " $3; cpu[$1] = cpu[$1] " " $4; t[$1, $2] = $3; tc[$1, $2] = $4; turns[$2] = 1 }
    END {
      n = split(configs, c, " ")
      for (i = 1; i <= n; i++) {
        d = ""; dc = ""
        for (s in turns) if ((c[i], s) in t && ("none", s) in t) {
          d = d " " (t[c[i], s] - t["none", s]); dc = dc " " (tc[c[i], s] - tc["none", s])
        }
        printf "| %s | %.0f | %s | %.0f | %s |\n", c[i], median(ms[c[i]]), d != "" ? sprintf("%+.0f", median(d)) : "",
          median(cpu[c[i]]), dc != "" ? sprintf("%+.0f", median(dc)) : ""
      }
    }' $STARTUP
fi
echo
echo
echo "Raw wrk output (<config>-<path>-<round>.txt), results.tsv, startup.tsv and app logs are in $OUT/."
