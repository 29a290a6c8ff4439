package dev.tracing.instrument.sampling;

import java.net.http.HttpResponse;

import dev.tracing.export.InMemorySpanStore;

/** What the sampling tests read of a response and of the store. */
final class SampledTraces {

    private SampledTraces() {
    }

    /** The {@code traceresponse} header split: [version, trace id, span id, flags]. */
    static String[] traceresponse(HttpResponse<String> response) {
        return response.headers().firstValue("traceresponse").orElseThrow().split("-");
    }

    /** The store's {@code sampledBy} of a trace, or null when the trace is not in the store. */
    static String sampledBy(InMemorySpanStore store, String traceId) {
        return store.recentSummaries(1000, summary -> summary.traceId().equals(traceId))
            .stream()
            .findFirst()
            .map(InMemorySpanStore.Summary::sampledBy)
            .orElse(null);
    }

}
