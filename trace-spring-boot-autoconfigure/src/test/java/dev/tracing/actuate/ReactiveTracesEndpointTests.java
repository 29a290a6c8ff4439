package dev.tracing.actuate;

import org.springframework.boot.test.context.SpringBootTest;

@SpringBootTest(classes = TracesEndpointHttpTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "spring.application.name=endpoint-test",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "management.endpoints.web.exposure.include=health,traces,traceview",
                // the page finds the traces endpoint where a path mapping moves either
                "management.endpoints.web.path-mapping.traces=history",
                "management.endpoints.web.path-mapping.traceview=ui/traces",
                // Boot's observation-based HTTP spans would land in the store too (issue: living beside observations)
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class ReactiveTracesEndpointTests extends TracesEndpointHttpTests {

}
