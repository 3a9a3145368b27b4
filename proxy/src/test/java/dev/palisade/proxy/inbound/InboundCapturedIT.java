package dev.palisade.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.tls.TlsProvider;
import dev.palisade.proxy.capture.OriginalDestinationAddress;
import dev.palisade.proxy.config.AppProtocol;
import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.config.PeerMode;
import dev.palisade.proxy.flow.FlowEvent;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Captured mode on the epoll transport: the app port comes from the connection's original destination. A connection
 * that was not redirected has none and is refused; one whose original destination is a sidecar port would loop and is
 * refused; otherwise the original destination is the port and the flow record's destination. (Real REDIRECT rules are
 * exercised by TransparentCaptureIT in network namespaces; here the redirect is stood in for.)
 */
@Timeout(60)
class InboundCapturedIT {

    static EchoApp app;
    InboundHarness harness;

    @BeforeAll
    static void startApp() throws IOException {
        assertThat(Epoll.isAvailable())
                .as("native epoll: %s", Epoll.unavailabilityCause())
                .isTrue();
        app = EchoApp.start();
    }

    @AfterAll
    static void stopApp() {
        app.close();
    }

    @BeforeEach
    void startSidecar() {
        harness = new InboundHarness(
                InboundHarness.config(
                        "v1",
                        Map.of(
                                app.port(),
                                new InboundPort(app.port(), AppProtocol.HTTP, PeerMode.STRICT, Policies.httpV1()))),
                InboundLimits.defaults(),
                TlsProvider.AUTO,
                true);
    }

    @AfterEach
    void stopSidecar() {
        harness.close();
        app.seen.clear();
    }

    @Test
    void connectionThatWasNotRedirectedIsRefused() throws Exception {
        InboundServer server = harness.listen(PortSelector.originalDestination(Set.of(15006, 15001)));
        try (RawClient client = RawClient.plaintext(server.localAddress())) {
            assertThat(client.isClosedByServer(5000)).isTrue();
        }
        assertThat(harness.observer.nextRefusal()).isEqualTo("no_original_destination");
    }

    @Test
    void originalDestinationOnASidecarPortIsALoopAndRefused() throws Exception {
        InetSocketAddress sidecarPort = new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 15001);
        InboundServer server = harness.listen(PortSelector.originalDestination(
                Set.of(15006, 15001), ch -> Optional.of(new OriginalDestinationAddress(sidecarPort))));
        try (RawClient client = RawClient.plaintext(server.localAddress())) {
            assertThat(client.isClosedByServer(5000)).isTrue();
        }
        assertThat(harness.observer.nextRefusal()).isEqualTo("loop");
        assertThat(app.seen).isEmpty();
    }

    @Test
    void originalDestinationPicksThePortAndIsRecorded() throws Exception {
        InetSocketAddress original = new InetSocketAddress(InetAddress.getByName("10.1.2.3"), app.port());
        InboundServer server = harness.listen(PortSelector.originalDestination(
                Set.of(15006, 15001), ch -> Optional.of(new OriginalDestinationAddress(original))));
        try (RawClient client =
                RawClient.tls(server.localAddress(), TestPki.clientContext(TestPki.CLIENT), "http/1.1")) {
            assertThat(client.get("/orders").status()).isEqualTo(200);
        }
        FlowEvent flow = harness.nextFlow();
        assertThat(flow.destinationAddress()).isEqualTo(original);
        assertThat(app.next().uri()).isEqualTo("/orders");
    }

    @Test
    void capturedModeNeedsEpoll() {
        assertThatThrownBy(() -> InboundServer.start(
                        harness.services,
                        harness.group,
                        harness.group,
                        NioServerSocketChannel.class,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        PortSelector.originalDestination(Set.of(15006))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("epoll");
    }
}
