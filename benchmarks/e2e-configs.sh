# The configurations of benchmarks/e2e.sh and benchmarks/alloc-profile.sh: which jars each one leaves
# out of the benchmarks' classpath (EXCLUDE) and its arguments (ARGS). Sourced, from the repository root,
# after ZIPKIN_PORT is set.
# shellcheck shell=bash
APP_JAR=benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar

# The classpath of benchmarks/ without the jars whose names start with one of the given prefixes
# (an extended regex alternation): each configuration is the app with only its tracer's jars.
classpath_without() {
  echo -n "$APP_JAR:"
  tr ':' '\n' < benchmarks/target/classpath.txt | grep -Ev "/($1)[^/]*\.jar$" | paste -sd: -
}

# What each configuration leaves out, and its arguments.
OURS_JARS='trace-core|trace-spring-boot-'
BRAVE_JARS='brave|micrometer-tracing-bridge-brave|spring-boot-micrometer-tracing-brave'
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
# around every operator by default (trace.reactor.context-propagation=auto): each measured both ways
ARGS[ours-limited]="${ARGS[ours]} --trace.reactor.context-propagation=limited"
# what the in-memory store (the actuator endpoint's) costs: limited, with the store off
EXCLUDE[ours-limited-nostore]="${EXCLUDE[ours]}"
ARGS[ours-limited-nostore]="${ARGS[ours-limited]} --trace.export.memory.enabled=false"
# what the instrumentation costs without recording: limited, nothing sampled (headers still read and written)
EXCLUDE[ours-limited-unsampled]="${EXCLUDE[ours]}"
ARGS[ours-limited-unsampled]="--trace.sampling.probability=0.0 --trace.sampling.rate-limit=0 --trace.reactor.context-propagation=limited"
# sampling 1% of requests, then the same keeping every failed or slow one (none here fails or is slow:
# the cost of recording each request while it runs, then dropping it)
EXCLUDE[ours-1pct]="${EXCLUDE[ours]}"
ARGS[ours-1pct]="--trace.sampling.probability=0.01 --trace.sampling.rate-limit=0"
EXCLUDE[ours-1pct-keep]="${EXCLUDE[ours]}"
ARGS[ours-1pct-keep]="${ARGS[ours-1pct]} --trace.sampling.keep.errors=true --trace.sampling.keep.slower-than=2s"
ARGS[ours-zipkin]="${ARGS[ours]} --trace.export.zipkin.endpoint=http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans"
ARGS[boot-otel]="--management.tracing.sampling.probability=1.0"
# Boot's Brave module samples 10% unless told otherwise
ARGS[brave]="--management.tracing.sampling.probability=1.0"
# the peers as Boot configures them with spring.reactor.context-propagation=auto, so that log lines in
# every operator carry the trace, as ours does by default
EXCLUDE[boot-otel-auto]="${EXCLUDE[boot-otel]}"
ARGS[boot-otel-auto]="${ARGS[boot-otel]} --spring.reactor.context-propagation=auto"
EXCLUDE[brave-auto]="${EXCLUDE[brave]}"
ARGS[brave-auto]="${ARGS[brave]} --spring.reactor.context-propagation=auto"

# ours beside Spring Boot's Observation module (what actuator brings, here without metrics): a real
# ObservationRegistry with our handlers, in which Spring's WebClient starts its Observations (the server's
# are left out: nothing but our handlers would take them); ours-obs-observe starts them all, as with metrics
EXCLUDE[ours-obs]="$BRAVE_JARS|$OTEL_JARS|spring-boot-micrometer-tracing"
ARGS[ours-obs]="${ARGS[ours]}"
EXCLUDE[ours-obs-observe]="${EXCLUDE[ours-obs]}"
ARGS[ours-obs-observe]="${ARGS[ours]} --trace.observation.instrumented-exchanges=observe"
# the same module without a tracer: a registry without handlers, whose Observations are all no-ops
EXCLUDE[none-obs]="$OURS_JARS|$BRAVE_JARS|$OTEL_JARS|spring-boot-micrometer-tracing|micrometer-tracing"
ARGS[none-obs]=""
EXCLUDE[ours-obs-untrimmed]="${EXCLUDE[ours-obs]}"
ARGS[ours-obs-untrimmed]="${ARGS[ours]} --trace.web.client.trim-connect-context=false"

# with metrics (what actuator's starter brings): Spring's Observations then time every exchange, for every
# tracer; only these configurations keep the metrics jars, all others leave them out
METRICS_JARS='micrometer-core|spring-boot-micrometer-metrics|spring-boot-starter-micrometer-metrics|HdrHistogram|LatencyUtils'
EXCLUDE[none-metrics]="$OURS_JARS|$BRAVE_JARS|$OTEL_JARS|spring-boot-micrometer-tracing|micrometer-tracing"
ARGS[none-metrics]=""
EXCLUDE[ours-metrics]="${EXCLUDE[ours-obs]}"
ARGS[ours-metrics]="${ARGS[ours]}"
EXCLUDE[ours-limited-metrics]="${EXCLUDE[ours-obs]}"
ARGS[ours-limited-metrics]="${ARGS[ours-limited]}"
EXCLUDE[brave-metrics]="${EXCLUDE[brave]}"
ARGS[brave-metrics]="${ARGS[brave]}"
for config in "${!EXCLUDE[@]}"; do
  case $config in
    *-metrics) ;;
    *) EXCLUDE[$config]="${EXCLUDE[$config]}|$METRICS_JARS" ;;
  esac
done
