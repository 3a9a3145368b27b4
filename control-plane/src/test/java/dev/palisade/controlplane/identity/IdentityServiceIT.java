package dev.palisade.controlplane.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.CertificateSigningRequest;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.identity.IdentityClient;
import dev.palisade.certs.identity.IssuedIdentity;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.v1.IdentityGrpc;
import dev.palisade.certs.v1.SignRequest;
import dev.palisade.certs.x509.SvidVerifier;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.testkit.pki.KeyType;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The identity service over real gRPC and TLS 1.3 on loopback. Refusals first. */
@Timeout(60)
class IdentityServiceIT {
    static final TrustDomain TD = TrustDomain.parse("demo.local");
    static final SpiffeId CONTROL_PLANE = SpiffeId.forWorkload(TD, "palisade-system", "palisade-control-plane");
    static final SpiffeId ORDERS = SpiffeId.forWorkload(TD, "shop", "orders");
    static final SpiffeId PAYMENTS = SpiffeId.forWorkload(TD, "shop", "payments");
    static final String ORDERS_TOKEN = "orders-token-0123456789";
    static final TlsOptions TLS = TlsOptions.defaults().withAlpn(List.of("h2"));

    static CertificateAuthority ca;
    static TrustBundleSet bundles;
    static Server server;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        ca = CertificateAuthority.createRoot(TD, KeyAlgorithm.EC_P256, Duration.ofDays(30), Clock.systemUTC());
        bundles = TrustBundleSet.of(ca.trustBundle());
        KeyPair keys = KeyAlgorithm.EC_P256.generate();
        X509Svid own = X509Svid.of(ca.issue(CONTROL_PLANE, keys.getPublic(), Duration.ofHours(24)), keys.getPrivate());
        BootstrapTokens tokens = BootstrapTokens.parse(ORDERS_TOKEN + " shop orders\n", "tokens", TD);
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(SpiffeSslContexts.forServer(
                        own, bundles, TLS, PeerAuthorizer.anyVerified(), Clock.systemUTC(), false))
                .addService(new IdentityService(
                        tokens, () -> ca, () -> bundles, Duration.ofHours(24), Duration.ofHours(48)))
                .build()
                .start();
        channel = channelExpecting(CONTROL_PLANE);
    }

    static ManagedChannel channelExpecting(SpiffeId serverId) throws Exception {
        return NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
                .sslContext(SpiffeSslContexts.forAnonymousClient(bundles, TLS, PeerAuthorizer.exactly(serverId)))
                .build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static IdentityClient client() {
        return new IdentityClient(channel, KeyAlgorithm.EC_P256, Clock.systemUTC(), Duration.ofSeconds(10));
    }

    static Status.Code codeOf(Throwable t) {
        return ((StatusRuntimeException) t).getStatus().getCode();
    }

    @Test
    void csrForAnotherIdentityIsPermissionDenied() {
        assertThatThrownBy(() -> client().request(PAYMENTS, ORDERS_TOKEN, Duration.ZERO))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription())
                            .contains(PAYMENTS.toString())
                            .contains(ORDERS.toString());
                });
    }

    @Test
    void missingOrUnknownCredentialIsUnauthenticated() {
        assertThatThrownBy(() -> client().request(ORDERS, "", Duration.ZERO))
                .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThatThrownBy(() -> client().request(ORDERS, "not-a-known-token-at-all", Duration.ZERO))
                .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.UNAUTHENTICATED))
                .hasMessageNotContaining("not-a-known-token-at-all");
    }

    @Test
    void malformedCsrIsInvalidArgumentWithTheReason() {
        IdentityGrpc.IdentityBlockingStub stub = IdentityGrpc.newBlockingStub(channel);
        assertThatThrownBy(() -> stub.sign(SignRequest.newBuilder()
                        .setCredential(ORDERS_TOKEN)
                        .setCsr(ByteString.copyFromUtf8("not a CSR"))
                        .build()))
                .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.INVALID_ARGUMENT))
                .hasMessageContaining("MALFORMED");
        assertThatThrownBy(() -> stub.sign(SignRequest.newBuilder()
                        .setCredential(ORDERS_TOKEN)
                        .setCsr(ByteString.copyFrom(new byte[IdentityService.MAX_CSR_BYTES + 1]))
                        .build()))
                .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.INVALID_ARGUMENT))
                .hasMessageContaining("larger than");
    }

    @Test
    void weakKeyIsInvalidArgument() {
        IdentityGrpc.IdentityBlockingStub stub = IdentityGrpc.newBlockingStub(channel);
        KeyPair weak = KeyType.RSA_1024.generate();
        // CertificateSigningRequest.create refuses such keys, so build the CSR by hand with Bouncy Castle.
        byte[] csr = WeakCsr.create(weak, ORDERS.toString());
        assertThatThrownBy(() -> stub.sign(SignRequest.newBuilder()
                        .setCredential(ORDERS_TOKEN)
                        .setCsr(ByteString.copyFrom(csr))
                        .build()))
                .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.INVALID_ARGUMENT))
                .hasMessageContaining("KEY_NOT_ALLOWED");
    }

    @Test
    void negativeTtlIsInvalidArgument() {
        IdentityGrpc.IdentityBlockingStub stub = IdentityGrpc.newBlockingStub(channel);
        byte[] csr = CertificateSigningRequest.create(KeyAlgorithm.EC_P256.generate(), ORDERS)
                .encoded();
        assertThatThrownBy(() -> stub.sign(SignRequest.newBuilder()
                        .setCredential(ORDERS_TOKEN)
                        .setCsr(ByteString.copyFrom(csr))
                        .setRequestedTtlSeconds(-1)
                        .build()))
                .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void clientRefusesAServerThatIsNotTheControlPlane() throws Exception {
        ManagedChannel wrong = channelExpecting(PAYMENTS);
        try {
            IdentityClient c =
                    new IdentityClient(wrong, KeyAlgorithm.EC_P256, Clock.systemUTC(), Duration.ofSeconds(10));
            assertThatThrownBy(() -> c.request(ORDERS, ORDERS_TOKEN, Duration.ZERO))
                    .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.UNAVAILABLE));
        } finally {
            wrong.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void goodRequestGetsAChainTheVerifierAccepts() throws Exception {
        IssuedIdentity issued = client().request(ORDERS, ORDERS_TOKEN, Duration.ZERO);
        assertThat(issued.svid().id()).isEqualTo(ORDERS);
        assertThat(issued.bundles()).isEqualTo(bundles);
        assertThat(SvidVerifier.of(bundles).verify(issued.svid().chain())).isEqualTo(ORDERS);
        X509Certificate leaf = issued.svid().leaf();
        assertThat(Duration.between(
                        leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofHours(24).plus(CertificateAuthority.BACKDATE));
    }

    @Test
    void requestedTtlIsCappedByPolicy() throws Exception {
        IssuedIdentity shortOne = client().request(ORDERS, ORDERS_TOKEN, Duration.ofMinutes(30));
        X509Certificate a = shortOne.svid().leaf();
        assertThat(Duration.between(
                        a.getNotBefore().toInstant(), a.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofMinutes(35));
        IssuedIdentity capped = client().request(ORDERS, ORDERS_TOKEN, Duration.ofDays(365));
        X509Certificate b = capped.svid().leaf();
        assertThat(Duration.between(
                        b.getNotBefore().toInstant(), b.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofHours(48).plus(CertificateAuthority.BACKDATE));
    }
}
