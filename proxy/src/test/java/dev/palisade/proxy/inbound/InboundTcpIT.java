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
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Opaque ports: one L4 decision per connection, then bytes spliced both ways with backpressure and half-close, and
 * one flow event per connection.
 */
@Timeout(60)
class InboundTcpIT {

    TcpEchoApp strictApp;
    TcpEchoApp permissiveApp;
    InboundHarness harness;
    InboundServer strict;
    InboundServer permissive;

    void start(TlsProvider provider) throws IOException {
        strictApp = new TcpEchoApp();
        permissiveApp = new TcpEchoApp();
        harness = new InboundHarness(
                InboundHarness.config(
                        "v1",
                        Map.of(
                                strictApp.port(),
                                new InboundPort(
                                        strictApp.port(), AppProtocol.TCP, PeerMode.STRICT, Policies.tcpCheckoutOnly()),
                                permissiveApp.port(),
                                new InboundPort(
                                        permissiveApp.port(),
                                        AppProtocol.TCP,
                                        PeerMode.PERMISSIVE,
                                        Policies.tcpAllowAll()))),
                InboundLimits.defaults(),
                provider);
        strict = harness.listen(strictApp.port());
        permissive = harness.listen(permissiveApp.port());
    }

    @BeforeEach
    void startDefault() throws IOException {
        start(TlsProvider.AUTO);
    }

    @AfterEach
    void stop() throws IOException {
        harness.close();
        strictApp.close();
        permissiveApp.close();
    }

    private static SSLSocket tls(InetSocketAddress address, SSLContext context) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(address.getAddress(), address.getPort());
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.3"});
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void allowedPeerIsSplicedBothWaysUntilBothSidesEnd(TlsProvider provider) throws Exception {
        stop();
        start(provider);
        try (SSLSocket socket = tls(strict.localAddress(), TestPki.clientContext(TestPki.CLIENT))) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write("hello".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(new String(in.readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("hello");
            // TLS 1.3 half-close: close_notify ends our direction. The JDK engine keeps the other one open, so the
            // app's last words come back; BoringSSL closes both directions on close_notify (netty-tcnative's
            // engine answers it at once), so they are lost there: documented in the README.
            socket.shutdownOutput();
            String rest = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            if (provider == TlsProvider.JDK) {
                assertThat(rest).isEqualTo("bye\n");
            } else {
                assertThat(rest).isIn("", "bye\n");
            }
        }
        FlowEvent flow = harness.nextFlow();
        assertThat(flow.protocol()).isEqualTo("TCP");
        assertThat(flow.method()).isNull();
        assertThat(flow.path()).isNull();
        assertThat(flow.status()).isZero();
        assertThat(flow.bytesIn()).isEqualTo(5);
        if (provider == TlsProvider.JDK) {
            assertThat(flow.bytesOut()).isEqualTo(9);
        } else {
            // Counted as read from the app, whether or not the closed TLS session could still carry "bye\n".
            assertThat(flow.bytesOut()).isBetween(5L, 9L);
        }
        assertThat(flow.decision().allowed()).isTrue();
        assertThat(flow.decision().version()).isEqualTo("tcp-v1");
        assertThat(flow.source()).hasToString(TestPki.CHECKOUT);
        assertThat(flow.tlsVersion()).isEqualTo("TLSv1.3");
        assertThat(flow.requestId()).isNull();
        harness.assertNoMoreFlows();
    }

    @Test
    void deniedPeerIsClosedBeforeTheAppIsContacted() throws Exception {
        try (SSLSocket socket = tls(strict.localAddress(), TestPki.clientContext(TestPki.OTHER_CLIENT))) {
            socket.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        } catch (IOException e) {
            // closed under our feet: refused either way
        }
        FlowEvent flow = harness.nextFlow();
        assertThat(flow.decision().denied()).isTrue();
        assertThat(flow.source()).hasToString(TestPki.ORDERS);
        assertThat(flow.bytesOut()).isZero();
        assertThat(strictApp.accepted.get()).isZero();
        harness.assertNoMoreFlows();
    }

    @Test
    void plaintextIsRefusedOnAStrictOpaquePort() throws Exception {
        try (Socket socket = new Socket(
                strict.localAddress().getAddress(), strict.localAddress().getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        } catch (IOException e) {
            // reset: refused either way
        }
        assertThat(harness.observer.nextRefusal()).isEqualTo("plaintext_refused");
        assertThat(strictApp.accepted.get()).isZero();
    }

    @Test
    void plaintextOnAPermissivePortStreamsManyMegabytesWithHalfClose() throws Exception {
        byte[] data = new byte[16 * 1024 * 1024];
        new SecureRandom().nextBytes(data);
        try (Socket socket = new Socket(
                permissive.localAddress().getAddress(),
                permissive.localAddress().getPort())) {
            socket.setSoTimeout(20_000);
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int offset = 0; offset < data.length; offset += 100_000) {
                        out.write(data, offset, Math.min(100_000, data.length - offset));
                    }
                    out.flush();
                    socket.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(received);
            writing.get(20, TimeUnit.SECONDS);
            byte[] all = received.toByteArray();
            assertThat(all.length).isEqualTo(data.length + 4);
            assertThat(sha256(Arrays.copyOf(all, data.length))).isEqualTo(sha256(data));
            assertThat(new String(all, data.length, 4, StandardCharsets.US_ASCII))
                    .isEqualTo("bye\n");
        }
        FlowEvent flow = harness.nextFlow();
        assertThat(flow.source()).isNull();
        assertThat(flow.bytesIn()).isEqualTo(data.length);
        assertThat(flow.bytesOut()).isEqualTo(data.length + 4);
        assertThat(flow.duration()).isLessThan(Duration.ofSeconds(20));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
