package dev.tracing.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.util.ClassUtils;

/**
 * One line at start-up when a Micrometer Tracing Brave or OpenTelemetry bridge is on the
 * classpath: this starter's tracer records the spans, the bridge is not used, and
 * {@code trace.enabled=false} would use it instead.
 */
public final class UnusedBridgesNotice implements SmartInitializingSingleton, BeanClassLoaderAware {

    private static final Logger LOGGER = LoggerFactory.getLogger(UnusedBridgesNotice.class);

    private ClassLoader classLoader;

    @Override
    public void setBeanClassLoader(ClassLoader classLoader) {
        this.classLoader = classLoader;
    }

    @Override
    public void afterSingletonsInstantiated() {
        List<String> bridges = new ArrayList<>(2);
        if (ClassUtils.isPresent("io.micrometer.tracing.otel.bridge.OtelTracer", classLoader)) {
            bridges.add("OpenTelemetry");
        }
        if (ClassUtils.isPresent("io.micrometer.tracing.brave.bridge.BraveTracer", classLoader)) {
            bridges.add("Brave");
        }
        if (!bridges.isEmpty()) {
            LOGGER.info("Spans are recorded by trace-spring-boot-starter's tracer; the Micrometer Tracing {} "
                    + "bridge on the classpath is not used (set trace.enabled=false to use it)",
                    String.join(" and ", bridges));
        }
    }

}
