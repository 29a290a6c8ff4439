package dev.tracing.actuate;

import org.springframework.boot.test.context.SpringBootTest;

@SpringBootTest(classes = TracesEndpointHttpTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=servlet", "spring.application.name=endpoint-test",
                "trace.sampling.rate-limit=0", "trace.export.memory.max-traces-per-second=0",
                "management.endpoints.web.exposure.include=health,traces,traceview",
                // the page reads the traces endpoint by relative URLs, wherever the endpoints are
                "management.endpoints.web.base-path=/manage/ops",
                // Boot's observation-based HTTP spans would land in the store too (issue: living beside observations)
                "spring.autoconfigure.exclude=org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration" })
class ServletTracesEndpointTests extends TracesEndpointHttpTests {

}
