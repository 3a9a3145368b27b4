package dev.palisade.proxy.inbound.h2;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The app behind the sidecar: a real grpc-java server on 127.0.0.1, plaintext HTTP/2, with a handwritten service
 * {@code test.Echo} over raw bytes (no proto compilation): {@code Unary} echoes, {@code Stream} answers five copies,
 * {@code Fail} answers NOT_FOUND with a trailer, {@code Hold} never answers, {@code Denied} must never be reached.
 */
final class GrpcTestApp implements AutoCloseable {
    static final String SERVICE = "test.Echo";
    static final Metadata.Key<String> TRAILER = Metadata.Key.of("x-app-trailer", Metadata.ASCII_STRING_MARSHALLER);
    static final int STREAM_COUNT = 5;

    static final MethodDescriptor<byte[], byte[]> UNARY = method("Unary", MethodDescriptor.MethodType.UNARY);
    static final MethodDescriptor<byte[], byte[]> STREAM =
            method("Stream", MethodDescriptor.MethodType.SERVER_STREAMING);
    static final MethodDescriptor<byte[], byte[]> FAIL = method("Fail", MethodDescriptor.MethodType.UNARY);
    static final MethodDescriptor<byte[], byte[]> HOLD = method("Hold", MethodDescriptor.MethodType.UNARY);
    static final MethodDescriptor<byte[], byte[]> DENIED = method("Denied", MethodDescriptor.MethodType.UNARY);

    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger deniedCalls = new AtomicInteger();
    private final Server server;

    GrpcTestApp() throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
                .addMethod(UNARY, ServerCalls.asyncUnaryCall((req, out) -> {
                    calls.incrementAndGet();
                    out.onNext(req);
                    out.onCompleted();
                }))
                .addMethod(STREAM, ServerCalls.asyncServerStreamingCall((req, out) -> {
                    calls.incrementAndGet();
                    for (int i = 0; i < STREAM_COUNT; i++) {
                        out.onNext(req);
                    }
                    out.onCompleted();
                }))
                .addMethod(FAIL, ServerCalls.asyncUnaryCall((req, out) -> {
                    calls.incrementAndGet();
                    Metadata trailers = new Metadata();
                    trailers.put(TRAILER, "from-app");
                    out.onError(
                            Status.NOT_FOUND.withDescription("no such thing").asRuntimeException(trailers));
                }))
                .addMethod(HOLD, ServerCalls.asyncUnaryCall((byte[] req, StreamObserver<byte[]> out) -> {
                    calls.incrementAndGet();
                }))
                .addMethod(DENIED, ServerCalls.asyncUnaryCall((req, out) -> {
                    deniedCalls.incrementAndGet();
                    out.onNext(req);
                    out.onCompleted();
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(service)
                .build()
                .start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", server.getPort());
    }

    static byte[] unary(Channel channel, MethodDescriptor<byte[], byte[]> method, byte[] request) {
        return ClientCalls.blockingUnaryCall(
                channel, method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
    }

    static Iterator<byte[]> serverStreaming(Channel channel, byte[] request) {
        return ClientCalls.blockingServerStreamingCall(
                channel, STREAM, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
    }

    private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                .setRequestMarshaller(BytesMarshaller.INSTANCE)
                .setResponseMarshaller(BytesMarshaller.INSTANCE)
                .build();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
        INSTANCE;

        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
