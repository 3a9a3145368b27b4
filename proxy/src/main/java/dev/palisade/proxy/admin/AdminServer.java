package dev.palisade.proxy.admin;

import static java.util.Objects.requireNonNull;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar's admin server (127.0.0.1:15000 by default, never captured): {@code GET /ready}, {@code /live}, {@code
 * /metrics} (Prometheus text format 0.0.4), {@code /config} and {@code /certs} (JSON), and {@code POST /quit}.
 *
 * <p>{@code /quit} is the only request that changes anything, and it is off unless a token file is configured; then
 * it requires {@code Authorization: Bearer <token>} with the file's content (read once, at start; compared in
 * constant time), answers 202 and runs the quit action once. Loopback is not a credential: every container of the pod
 * shares the network namespace, so without a token any process in the pod (a compromised app) could stop the sidecar
 * and, with it, the pod's mTLS and authorization (Linkerd CVE-2024-40632: an unauthenticated {@code /shutdown}). A
 * wrong or missing token is 401, a disabled {@code /quit} 404, {@code GET /quit} 405. The event loop group is
 * borrowed.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(AdminServer.class);

    /** The default port (DESIGN.md "Ports"); bound to loopback only. */
    public static final int DEFAULT_PORT = 15000;

    private final SmallHttpServer server;

    private AdminServer(SmallHttpServer server) {
        this.server = server;
    }

    /**
     * Binds {@code bind} and serves until {@link #close()}.
     *
     * @param quitTokenFile the file holding the {@code /quit} bearer token (surrounding whitespace ignored), or
     *     empty to disable {@code /quit}
     * @throws IllegalArgumentException when the token file is unreadable or holds no token
     */
    public static AdminServer start(
            EventLoopGroup group, InetSocketAddress bind, AdminEndpoints endpoints, Optional<Path> quitTokenFile)
            throws InterruptedException {
        requireNonNull(endpoints, "endpoints");
        byte[] tokenDigest = quitTokenFile.map(AdminServer::readToken).orElse(null);
        if (!bind.getAddress().isLoopbackAddress()) {
            logger.warn("admin server bound to {}, not loopback: it is meant for the pod only", bind);
        }
        return new AdminServer(new SmallHttpServer(group, bind, routes(endpoints, tokenDigest)));
    }

    static Map<String, Endpoint> routes(AdminEndpoints endpoints, byte @Nullable [] tokenDigest) {
        Map<String, Endpoint> routes = new HashMap<>(HealthServer.endpoints(endpoints.ready()));
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        routes.put("/metrics", new Endpoint(HttpMethod.GET, request -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
            writer.write(out, endpoints.metrics().scrape());
            return new Response(HttpResponseStatus.OK, writer.getContentType(), out.toByteArray());
        }));
        routes.put(
                "/config",
                new Endpoint(
                        HttpMethod.GET,
                        request -> Response.json(endpoints.config().get())));
        routes.put(
                "/certs",
                new Endpoint(
                        HttpMethod.GET,
                        request -> Response.json(endpoints.certs().get())));
        if (tokenDigest != null) {
            AtomicBoolean quitting = new AtomicBoolean();
            routes.put("/quit", new Endpoint(HttpMethod.POST, request -> {
                if (!authorized(request, tokenDigest)) {
                    return Response.text(HttpResponseStatus.UNAUTHORIZED, "unauthorized\n");
                }
                if (quitting.compareAndSet(false, true)) {
                    logger.info("POST /quit: draining and exiting");
                    // Off the event loop: draining waits for connections this loop may be serving.
                    Thread thread = new Thread(endpoints.quit(), "palisade-quit");
                    thread.setDaemon(false);
                    thread.start();
                }
                return Response.text(HttpResponseStatus.ACCEPTED, "quitting\n");
            }));
        }
        return routes;
    }

    private static boolean authorized(FullHttpRequest request, byte[] tokenDigest) {
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        String presented = header.substring(7).trim();
        // Digests of equal length: MessageDigest.isEqual is constant-time, and the token's length does not leak.
        return MessageDigest.isEqual(sha256(presented.getBytes(StandardCharsets.UTF_8)), tokenDigest);
    }

    private static byte[] readToken(Path file) {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("quit token file " + file + ": " + e, e);
        }
        if (token.isEmpty()) {
            throw new IllegalArgumentException("quit token file " + file + ": empty (expected: a token)");
        }
        return sha256(token.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    public InetSocketAddress localAddress() {
        return server.localAddress();
    }

    @Override
    public void close() {
        server.close();
    }
}
