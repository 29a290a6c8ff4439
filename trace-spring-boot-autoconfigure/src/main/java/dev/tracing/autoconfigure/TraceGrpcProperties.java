package dev.tracing.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** gRPC instrumentation, for Spring Boot's gRPC server and client. */
@ConfigurationProperties("trace.grpc")
public class TraceGrpcProperties {

    /** Whether gRPC calls are traced at all. */
    private boolean enabled = true;

    private final Server server = new Server();

    private final Client client = new Client();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Server getServer() {
        return server;
    }

    public Client getClient() {
        return client;
    }

    /** The server side. */
    public static class Server {

        /** Whether every call on Spring Boot's gRPC server gets a SERVER span, continued from its metadata. */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

    }

    /** The client side. */
    public static class Client {

        /**
         * Whether every call on a channel from Spring Boot's channel factory gets a CLIENT span and
         * carries the trace in its metadata.
         */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

    }

}
