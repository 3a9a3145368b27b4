package dev.palisade.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A demo workload's app: an HTTP server that answers every request with what it received as JSON (method, path, the
 * peer identity its sidecar vouched for, the headers), and optionally a gRPC server for {@code payments.v1.Payments}
 * ({@code Charge}, unary; {@code Watch}, server-streaming) whose answers also carry the peer identity. The scenario
 * reads these answers to show what reached the app — and that a smuggled identity header never does.
 *
 * <p>No generated code: the gRPC methods marshal raw bytes, which is all the demo needs.
 */
public final class DemoApp implements AutoCloseable {
    public static final String PEER_HEADER = "x-palisade-peer-identity";
    public static final String PAYMENTS_SERVICE = "payments.v1.Payments";
    public static final MethodDescriptor<byte[], byte[]> CHARGE = method("Charge", MethodDescriptor.MethodType.UNARY);
    public static final MethodDescriptor<byte[], byte[]> WATCH =
            method("Watch", MethodDescriptor.MethodType.SERVER_STREAMING);
    /** How many messages {@code Watch} streams. */
    public static final int WATCH_MESSAGES = 3;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Metadata.Key<String> PEER_KEY = Metadata.Key.of(PEER_HEADER, Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<String> PEER_CONTEXT = Context.key("peer");

    private final String name;
    private final EventLoopGroup group;
    private final Channel http;
    private final @Nullable Server grpc;

    private DemoApp(String name, EventLoopGroup group, Channel http, @Nullable Server grpc) {
        this.name = name;
        this.group = group;
        this.http = http;
        this.grpc = grpc;
    }

    /**
     * Starts the app.
     *
     * @param name the workload's name, echoed in every answer
     * @param httpAddress where the HTTP server listens
     * @param grpcAddress where the gRPC server listens (plaintext HTTP/2), or {@code null} for none
     */
    public static DemoApp start(String name, InetSocketAddress httpAddress, @Nullable InetSocketAddress grpcAddress)
            throws IOException, InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel http = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline()
                                    .addLast(new HttpServerCodec())
                                    .addLast(new HttpServerKeepAliveHandler())
                                    .addLast(new HttpObjectAggregator(1 << 20))
                                    .addLast(new EchoHandler(name));
                        }
                    })
                    .bind(httpAddress)
                    .sync()
                    .channel();
            Server grpc = null;
            if (grpcAddress != null) {
                ServerServiceDefinition payments = ServerServiceDefinition.builder(PAYMENTS_SERVICE)
                        .addMethod(CHARGE, ServerCalls.asyncUnaryCall((request, response) -> {
                            response.onNext(("charged " + new String(request, StandardCharsets.UTF_8) + " for "
                                            + PEER_CONTEXT.get())
                                    .getBytes(StandardCharsets.UTF_8));
                            response.onCompleted();
                        }))
                        .addMethod(WATCH, ServerCalls.asyncServerStreamingCall((request, response) -> {
                            for (int i = 1; i <= WATCH_MESSAGES; i++) {
                                response.onNext(("update " + i + " for " + PEER_CONTEXT.get())
                                        .getBytes(StandardCharsets.UTF_8));
                            }
                            response.onCompleted();
                        }))
                        .build();
                grpc = NettyServerBuilder.forAddress(grpcAddress)
                        .addService(ServerInterceptors.intercept(payments, new PeerInterceptor()))
                        .build()
                        .start();
            }
            return new DemoApp(name, group, http, grpc);
        } catch (IOException | RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public InetSocketAddress httpAddress() {
        return (InetSocketAddress) http.localAddress();
    }

    public @Nullable InetSocketAddress grpcAddress() {
        return grpc == null ? null : (InetSocketAddress) grpc.getListenSockets().get(0);
    }

    @Override
    public void close() {
        if (grpc != null) {
            grpc.shutdownNow();
        }
        http.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(PAYMENTS_SERVICE, name))
                .setRequestMarshaller(BytesMarshaller.INSTANCE)
                .setResponseMarshaller(BytesMarshaller.INSTANCE)
                .build();
    }

    /** byte[] as the message. */
    enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
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

    /** Puts the sidecar's peer header into the call's context ("none" when absent). */
    private static final class PeerInterceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(
                ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            String peer = headers.get(PEER_KEY);
            return Contexts.interceptCall(
                    Context.current().withValue(PEER_CONTEXT, peer == null ? "none" : peer), call, headers, next);
        }
    }

    /** Answers with the request as JSON. */
    private static final class EchoHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String name;

        EchoHandler(String name) {
            this.name = name;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws IOException {
            ObjectNode body = JSON.createObjectNode();
            body.put("app", name);
            body.put("method", request.method().name());
            body.put("uri", request.uri());
            String peer = request.headers().get(PEER_HEADER);
            if (peer == null) {
                body.putNull("peer");
            } else {
                body.put("peer", peer);
            }
            body.put("peerHeaderCount", request.headers().getAll(PEER_HEADER).size());
            ObjectNode headers = body.putObject("headers");
            for (Map.Entry<String, String> header : request.headers()) {
                headers.put(header.getKey().toLowerCase(java.util.Locale.ROOT), header.getValue());
            }
            body.put("bodyBytes", request.content().readableBytes());
            byte[] bytes = JSON.writeValueAsBytes(body);
            FullHttpResponse response = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(bytes));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            HttpUtil.setContentLength(response, bytes.length);
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
