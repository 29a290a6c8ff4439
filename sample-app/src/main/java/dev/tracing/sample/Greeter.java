package dev.tracing.sample;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import io.grpc.MethodDescriptor;

/**
 * The sample's gRPC service {@code sample.Greeter}, declared by hand: one unary method,
 * {@code SayHello}, whose request and answer are UTF-8 strings. A real service would generate this
 * from a {@code .proto} file; declaring it here keeps the sample's build free of code generation
 * (protoc and its gRPC plugin are native binaries).
 */
final class Greeter {

    static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {

        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

    };

    static final MethodDescriptor<String, String> SAY_HELLO = MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("sample.Greeter", "SayHello"))
        .setRequestMarshaller(UTF8)
        .setResponseMarshaller(UTF8)
        .build();

    private Greeter() {
    }

}
