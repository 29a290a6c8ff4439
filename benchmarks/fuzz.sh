#!/usr/bin/env bash
# The long fuzz run: trace-core's PropagationFuzzTests (random and mutated traceparent,
# tracestate, b3, X-B3-*, baggage, repeated headers) with 1,000,000 cases per property instead of the
# test command's 10,000. About 16 min on a 2-core machine; TRIES=100000 for a 2-minute run.
set -euo pipefail
cd "$(dirname "$0")/.."
TRIES=${TRIES:-1000000}
mvn -B -q install -DskipTests -pl trace-core -am
mvn -B -pl trace-core surefire:test -Dtest=PropagationFuzzTests -Djqwik.tries.default="$TRIES" \
  -Djqwik.reporting.onlyfailures=false
