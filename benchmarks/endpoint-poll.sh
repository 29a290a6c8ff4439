#!/usr/bin/env bash
# What polling the traces endpoint costs the application's requests: the sample app's /api/hello
# under wrk, alone, while 16 clients poll /actuator/traces every 100 ms each (dashboards left
# open), and, as the control, while the same clients poll /actuator/health at the same rate, in
# interleaved rounds. On two cores any polling takes CPU from /api/hello; what the traces endpoint
# adds to that is its difference from the control. Prints /api/hello's requests/s and p99 for
# each, and the ratios to "alone" within each round.
#
# Needs wrk and curl. Tunables: ROUNDS (3), DURATION (20 s), WARMUP (20 s), CONNECTIONS (16, for
# /api/hello), POLLERS (16), INTERVAL (ms between a poller's polls, 100), PORT (18180),
# JAR (the sample app's jar; another build's, to compare), SKIP_BUILD=1 to reuse the last build.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-20}
CONNECTIONS=${CONNECTIONS:-16}
POLLERS=${POLLERS:-16}
INTERVAL=${INTERVAL:-100}
PORT=${PORT:-18180}
OUT=benchmarks/target/endpoint-poll
JAR=${JAR:-sample-app/target/sample-app-0.1.0-SNAPSHOT.jar}

command -v wrk >/dev/null || { echo "endpoint-poll.sh needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -B -q install -DskipTests
fi
mkdir -p $OUT
java -Xmx512m -jar "$JAR" --server.port=$PORT \
  --trace.sampling.rate-limit=0 --trace.export.memory.max-traces-per-second=0 --logging.level.dev.tracing.sample=warn \
  > $OUT/app.log 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/hello" && break; sleep 0.5; done

to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /s$/ && v !~ /ms$/) n *= 1000; printf "%.3f", n }'; }

# fill the store (10,000 spans) and warm up both paths
wrk -t1 -c$CONNECTIONS -d${WARMUP}s "http://127.0.0.1:$PORT/api/hello" > /dev/null
java -cp benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar dev.tracing.benchmarks.poll.EndpointPoller \
  "http://127.0.0.1:$PORT/actuator/traces" "$POLLERS" "$INTERVAL" 5 > /dev/null
echo "store: $(curl -s "http://127.0.0.1:$PORT/actuator/traces?limit=1000" | grep -o '"spanCount":[0-9]*' \
  | awk -F: '{ s += $2; t++ } END { printf "%d traces, %d spans", t, s }')"

printf "round\tpolling\treq_per_s\tp99_ms\tpolls_per_s\n" > $OUT/results.tsv
for round in $(seq 1 "$ROUNDS"); do
  for polling in no health traces; do
    if [ $polling != no ]; then
      java -cp benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar dev.tracing.benchmarks.poll.EndpointPoller \
        "http://127.0.0.1:$PORT/actuator/$polling" "$POLLERS" "$INTERVAL" $((DURATION + 2)) > $OUT/poll-$round.txt &
      POLL=$!
      sleep 1
    fi
    wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency "http://127.0.0.1:$PORT/api/hello" > $OUT/hello-$polling-$round.txt
    polls=""
    if [ $polling != no ]; then
      wait $POLL
      polls=$(awk -v d="$DURATION" '/^polls/ {printf "%.0f", $2 / (d + 2)}' $OUT/poll-$round.txt)
    fi
    rps=$(awk '/^Requests\/sec/ {print $2}' $OUT/hello-$polling-$round.txt)
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' $OUT/hello-$polling-$round.txt)")
    printf "%s\t%s\t%s\t%s\t%s\n" "$round" "$polling" "$rps" "$p99" "$polls" >> $OUT/results.tsv
    echo "   round $round, polling $polling: /api/hello $rps req/s, p99 $p99 ms${polls:+, $polls polls/s}"
  done
done
echo
echo "/api/hello while $POLLERS clients poll every ${INTERVAL} ms; ratios to 'alone' in the same round."
echo
echo "| round | req/s alone | polling health | polling traces | p99 ms alone | polling health | polling traces | polls/s (health, traces) |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
awk -F'\t' 'NR > 1 { r[$1, $2] = $3; p[$1, $2] = $4; q[$1, $2] = $5; if ($1 > n) n = $1 }
  END { for (i = 1; i <= n; i++) printf "| %d | %.0f | %.0f (%.2f×) | %.0f (%.2f×) | %.2f | %.2f (%.2f×) | %.2f (%.2f×) | %d, %d |\n", i,
    r[i, "no"], r[i, "health"], r[i, "health"] / r[i, "no"], r[i, "traces"], r[i, "traces"] / r[i, "no"],
    p[i, "no"], p[i, "health"], p[i, "health"] / p[i, "no"], p[i, "traces"], p[i, "traces"] / p[i, "no"],
    q[i, "health"], q[i, "traces"] }' $OUT/results.tsv
