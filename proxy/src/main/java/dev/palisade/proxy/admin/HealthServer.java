package dev.palisade.proxy.admin;

import static java.util.Objects.requireNonNull;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The health server for the kubelet (0.0.0.0:15021, plaintext, excluded from capture): {@code GET /ready} answers 200
 * when the sidecar is ready (a certificate and a config), 503 otherwise; {@code GET /live} answers 200 while the
 * process serves. Any other path is 404, another method 405, a malformed request 400. Nothing here reveals state
 * beyond those two bits, since every pod on the network can reach it. The event loop group is borrowed.
 */
public final class HealthServer implements AutoCloseable {
    /** The default port (DESIGN.md "Ports"). */
    public static final int DEFAULT_PORT = 15021;

    private final SmallHttpServer server;

    private HealthServer(SmallHttpServer server) {
        this.server = server;
    }

    /** Binds {@code bind} (0.0.0.0:15021 in a pod) and serves until {@link #close()}. */
    public static HealthServer start(EventLoopGroup group, InetSocketAddress bind, BooleanSupplier ready)
            throws InterruptedException {
        requireNonNull(ready, "ready");
        return new HealthServer(new SmallHttpServer(group, bind, endpoints(ready)));
    }

    static Map<String, Endpoint> endpoints(BooleanSupplier ready) {
        return Map.of(
                "/ready",
                new Endpoint(
                        HttpMethod.GET,
                        request -> ready.getAsBoolean()
                                ? Response.text(HttpResponseStatus.OK, "ready\n")
                                : Response.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready\n")),
                "/live",
                new Endpoint(HttpMethod.GET, request -> Response.text(HttpResponseStatus.OK, "live\n")));
    }

    public InetSocketAddress localAddress() {
        return server.localAddress();
    }

    @Override
    public void close() {
        server.close();
    }
}
