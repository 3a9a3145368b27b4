package dev.palisade.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.tls.TlsProvider;
import dev.palisade.proxy.config.AppProtocol;
import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.config.PeerMode;
import dev.palisade.proxy.flow.FlowEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * WebSocket upgrades through the inbound listener, over real TLS: an allowed handshake is forwarded with its Upgrade,
 * the app's 101 is relayed and the bytes after it are spliced both ways; a denied one never reaches the app; requests
 * that only look like an upgrade (a POST, no key) are forwarded without Upgrade.
 */
@Timeout(60)
class InboundWebSocketIT {

    static final InboundLimits LIMITS = InboundHttp1IT.LIMITS;

    /** A WebSocket frame as a client sends it: FIN + text, masked, "hello" (RFC 6455 §5.7). */
    static final byte[] FRAME = {
        (byte) 0x81, (byte) 0x85, 0x37, (byte) 0xfa, 0x21, 0x3d, 0x7f, (byte) 0x9f, 0x4d, 0x51, 0x58
    };

    static final String HANDSHAKE = "GET /chat HTTP/1.1\r\n"
            + "Host: payments.shop\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\n"
            + "\r\n";

    WsApp app;
    InboundHarness harness;
    InboundServer server;

    @BeforeEach
    void start() throws IOException {
        app = new WsApp();
        harness = new InboundHarness(
                InboundHarness.config(
                        "v1",
                        Map.of(
                                app.port(),
                                new InboundPort(app.port(), AppProtocol.HTTP, PeerMode.STRICT, Policies.httpV1()))),
                LIMITS,
                TlsProvider.AUTO);
        server = harness.listen(app.port());
    }

    @AfterEach
    void stop() throws IOException {
        harness.close();
        app.close();
    }

    RawClient mtls() throws IOException {
        return RawClient.tls(server.localAddress(), TestPki.clientContext(TestPki.CLIENT), "http/1.1");
    }

    @Test
    void allowedHandshakeIsSwitchedAndBytesFlowBothWays() throws Exception {
        try (RawClient client = mtls()) {
            RawClient.Response response = client.send(HANDSHAKE).read();
            assertThat(response.status()).isEqualTo(101);
            assertThat(response.header("upgrade")).containsExactly("websocket");
            assertThat(response.header("connection")).containsExactly("Upgrade");
            assertThat(response.header("sec-websocket-accept")).containsExactly("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
            for (int i = 0; i < 3; i++) {
                client.send(FRAME);
                assertThat(client.readBytes(FRAME.length)).isEqualTo(FRAME);
            }
        }
        String head = app.next().toLowerCase(Locale.ROOT);
        assertThat(head).startsWith("get /chat http/1.1\r\n");
        assertThat(head).contains("\r\nupgrade: websocket\r\n", "\r\nconnection: upgrade\r\n");
        assertThat(head).contains("\r\nsec-websocket-key: dghlihnhbxbszsbub25jzq==\r\n");
        assertThat(head).contains("\r\n" + ForwardedHeaders.PEER_IDENTITY + ": ");
        assertThat(head.split("\r\nupgrade:", -1)).hasSize(2);
        assertThat(head.split("\r\nconnection:", -1)).hasSize(2);

        FlowEvent flow = harness.nextFlow();
        assertThat(flow.status()).isEqualTo(101);
        assertThat(flow.path()).isEqualTo("/chat");
        assertThat(flow.bytesIn()).isEqualTo(3L * FRAME.length);
        assertThat(flow.bytesOut()).isEqualTo(3L * FRAME.length);
        harness.assertNoMoreFlows();
    }

    @Test
    void deniedHandshakeIsAnswered403AndNeverReachesTheApp() throws Exception {
        try (RawClient client = mtls()) {
            RawClient.Response response =
                    client.send(HANDSHAKE.replace("/chat", "/admin/chat")).read();
            assertThat(response.status()).isEqualTo(403);
            assertThat(response.header("upgrade")).isEmpty();
        }
        assertThat(harness.nextFlow().status()).isEqualTo(403);
        assertThat(app.accepted.get()).isZero();
    }

    @Test
    void upgradeOnAPostIsNotAnUpgrade() throws Exception {
        try (RawClient client = mtls()) {
            RawClient.Response response = client.send(HANDSHAKE
                            .replace("GET /chat", "POST /chat")
                            .replace("\r\n\r\n", "\r\nContent-Length: 0\r\n\r\n"))
                    .read();
            assertThat(response.status()).isEqualTo(200);
        }
        assertNotUpgraded(app.next());
    }

    @Test
    void upgradeWithoutKeyIsNotAnUpgrade() throws Exception {
        try (RawClient client = mtls()) {
            RawClient.Response response = client.send(
                            HANDSHAKE.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""))
                    .read();
            assertThat(response.status()).isEqualTo(200);
        }
        assertNotUpgraded(app.next());
    }

    @Test
    void upgradeToAnotherProtocolIsNotAnUpgrade() throws Exception {
        try (RawClient client = mtls()) {
            RawClient.Response response = client.send(HANDSHAKE.replace("Upgrade: websocket", "Upgrade: h2c"))
                    .read();
            assertThat(response.status()).isEqualTo(200);
        }
        assertNotUpgraded(app.next());
    }

    private static void assertNotUpgraded(String head) {
        String lower = head.toLowerCase(Locale.ROOT);
        assertThat(lower).doesNotContain("\r\nupgrade:").doesNotContain("\r\nconnection:");
    }

    /**
     * An app that records each request head; a head with {@code Upgrade: websocket} is answered {@code 101} and every
     * byte after it is echoed until the peer closes; anything else gets {@code 200 ok} and the connection closes.
     */
    static final class WsApp implements AutoCloseable {
        final LinkedBlockingQueue<String> heads = new LinkedBlockingQueue<>();
        final AtomicInteger accepted = new AtomicInteger();
        private final ServerSocket server;

        WsApp() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "ws-app");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        String next() throws InterruptedException {
            String head = heads.poll(10, TimeUnit.SECONDS);
            if (head == null) {
                throw new AssertionError("the app saw no request");
            }
            return head;
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    accepted.incrementAndGet();
                    Thread t = new Thread(() -> serve(socket), "ws-app-connection");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket socket) {
            try (socket) {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                int matched = 0;
                while (matched < 4) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    head.write(b);
                    matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
                }
                String text = head.toString(StandardCharsets.ISO_8859_1);
                heads.add(text);
                if (!text.toLowerCase(Locale.ROOT).contains("\r\nupgrade: websocket\r\n")) {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    return;
                }
                out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                byte[] buffer = new byte[4096];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the sidecar closed the connection
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
