package dev.palisade.proxy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.CertificateSigningRequest;
import dev.palisade.certs.identity.IdentityMessages;
import dev.palisade.certs.identity.IssuedIdentity;
import dev.palisade.certs.renewal.RenewalSchedule;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.PeerIdentity;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.v1.IdentityGrpc;
import dev.palisade.certs.v1.SignRequest;
import dev.palisade.certs.v1.SignResponse;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.testkit.pki.TestCertificate;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class WorkloadIdentityIT {
    private static final TrustDomain TD = TrustDomain.parse("cluster.local");
    private static final SpiffeId CONTROL_PLANE = SpiffeId.forWorkload(TD, "palisade-system", "palisade-control-plane");
    private static final SpiffeId ORDERS = SpiffeId.forWorkload(TD, "shop", "orders");
    private static final TestCertificate ROOT = TestCertificate.root("palisade test root");
    private static final TrustBundleSet BUNDLES = TrustBundleSet.of(TrustBundle.of(TD, List.of(ROOT.certificate())));
    private static final Duration WITHIN = Duration.ofSeconds(20);

    /** The identity service's wire contract, signing with {@link #ROOT}; scriptable failures. */
    static final class FakeIdentityService extends IdentityGrpc.IdentityImplBase {
        final AtomicInteger unavailableFirst = new AtomicInteger();
        volatile Status refuseWith = Status.OK;
        volatile Duration lifetime = Duration.ofHours(24);
        final List<String> credentials = new CopyOnWriteArrayList<>();
        final List<Boolean> clientCertificates = new CopyOnWriteArrayList<>();
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public void sign(SignRequest request, StreamObserver<SignResponse> response) {
            calls.incrementAndGet();
            credentials.add(request.getCredential());
            if (unavailableFirst.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                response.onError(Status.UNAVAILABLE.withDescription("starting").asRuntimeException());
                return;
            }
            if (!refuseWith.isOk()) {
                response.onError(refuseWith.asRuntimeException());
                return;
            }
            try {
                CertificateSigningRequest csr =
                        CertificateSigningRequest.parse(request.getCsr().toByteArray());
                SpiffeId id = csr.verify();
                Instant now = Instant.now();
                // A null private key: the builder signs with the issuer's key and only needs the public one.
                TestCertificate leaf = TestCertificate.builder()
                        .uri(id.toString())
                        .issuedBy(ROOT)
                        .keyPair(new KeyPair(csr.publicKey(), null))
                        .validity(now.minusSeconds(1), now.plus(lifetime))
                        .serial(BigInteger.valueOf(calls.get()))
                        .build();
                response.onNext(SignResponse.newBuilder()
                        .addAllCertificateChain(IdentityMessages.encode(List.of(leaf.certificate())))
                        .addAllTrustBundles(IdentityMessages.encode(BUNDLES))
                        .build());
                response.onCompleted();
            } catch (Exception e) {
                response.onError(
                        Status.INVALID_ARGUMENT.withDescription(e.toString()).asRuntimeException());
            }
        }
    }

    @TempDir
    Path dir;

    private final FakeIdentityService service = new FakeIdentityService();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private Server server;
    private Path token;
    private Path bundle;
    private WorkloadIdentity identity;

    @BeforeEach
    void start() throws Exception {
        TestCertificate cp = TestCertificate.leaf(CONTROL_PLANE.toString(), ROOT);
        X509Svid cpSvid = X509Svid.of(cp.chain(), cp.privateKey());
        ServerInterceptor recordClientCert = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                service.clientCertificates.add(
                        session != null && PeerIdentity.of(session).isPresent());
                return next.startCall(call, headers);
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(SpiffeSslContexts.forServer(
                        cpSvid,
                        BUNDLES,
                        TlsOptions.defaults().withAlpn(List.of("h2")),
                        PeerAuthorizer.anyVerified(),
                        Clock.systemUTC(),
                        false))
                .addService(ServerInterceptors.intercept(service, recordClientCert))
                .build()
                .start();
        token = dir.resolve("token");
        Files.writeString(token, "token-1\n", StandardCharsets.UTF_8);
        bundle = dir.resolve("bundle.pem");
        TrustBundle.of(TD, List.of(ROOT.certificate())).write(bundle);
    }

    @AfterEach
    void stop() throws Exception {
        if (identity != null) {
            identity.close();
        }
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        scheduler.shutdownNow();
    }

    private WorkloadIdentity.Builder builder() {
        InetSocketAddress address = new InetSocketAddress(
                "127.0.0.1", ((InetSocketAddress) server.getListenSockets().get(0)).getPort());
        return WorkloadIdentity.builder(address, CONTROL_PLANE, bundle, ORDERS, WorkloadIdentity.tokenFile(token))
                .scheduler(scheduler)
                .backoff(new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), 2, 0.2))
                // No jitter: renewal exactly at half life.
                .renewalSchedule(RenewalSchedule.of(Clock.systemUTC(), () -> 0.5, 0));
    }

    @Test
    void permissionDeniedFailsStartUpClearlyWithoutRetrying() throws Exception {
        service.refuseWith = Status.PERMISSION_DENIED.withDescription("token proves shop/payments");
        identity = builder().build();
        assertThatThrownBy(() -> identity.start().get(WITHIN.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(WorkloadIdentityException.class)
                .hasMessageContaining("PERMISSION_DENIED")
                .hasMessageContaining("token proves shop/payments")
                .hasMessageContaining(ORDERS.toString());
        assertThat(service.calls.get()).isEqualTo(1);
        assertThat(identity.isReady()).isFalse();
        assertThatThrownBy(identity::sslContexts).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void unauthenticatedFailsStartUpToo() throws Exception {
        service.refuseWith = Status.UNAUTHENTICATED.withDescription("unknown token");
        identity = builder().build();
        assertThatThrownBy(() -> identity.start().get(WITHIN.toSeconds(), TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(WorkloadIdentityException.class)
                .hasMessageContaining("UNAUTHENTICATED");
    }

    @Test
    void retriesWithBackoffWhileTheControlPlaneIsUnavailable() throws Exception {
        service.unavailableFirst.set(3);
        identity = builder().build();
        IssuedIdentity issued = identity.start().get(WITHIN.toSeconds(), TimeUnit.SECONDS);
        assertThat(service.calls.get()).isEqualTo(4);
        assertThat(issued.svid().id()).isEqualTo(ORDERS);
        assertThat(identity.isReady()).isTrue();
        assertThat(identity.sslContexts().svid()).isEqualTo(issued.svid());
        assertThat(identity.sslContexts().bundles()).isEqualTo(BUNDLES);
        assertThat(identity.expiry()).contains(issued.svid().notAfter());
        assertThat(identity.lastRenewal()).isPresent();
        assertThat(service.clientCertificates).as("no SVID yet: anonymous TLS").containsOnly(false);
    }

    @Test
    void theControlPlaneChannelKeepsTheDefaultGroupsWhateverTheMeshUses() throws Exception {
        // The fake control plane offers the default groups, as the real one does; P-384 is not among them.
        identity = builder()
                .tlsOptions(TlsOptions.defaults().withGroups(List.of("P-384")))
                .build();
        IssuedIdentity issued = identity.start().get(WITHIN.toSeconds(), TimeUnit.SECONDS);
        assertThat(issued.svid().id()).isEqualTo(ORDERS);
        assertThat(service.calls.get()).isEqualTo(1);
    }

    @Test
    void renewsAtHalfLifeWithTheRotatedToken() throws Exception {
        service.lifetime = Duration.ofSeconds(3); // valid from now-1s to now+3s: renewal 1 s from now
        identity = builder().build();
        IssuedIdentity first = identity.start().get(WITHIN.toSeconds(), TimeUnit.SECONDS);
        Files.writeString(token, "token-2\n", StandardCharsets.UTF_8);
        service.lifetime = Duration.ofHours(24);

        await().atMost(WITHIN).until(() -> identity.renewals() >= 2);
        X509Svid renewed = identity.sslContexts().svid();
        assertThat(renewed.leaf().getSerialNumber())
                .isNotEqualTo(first.svid().leaf().getSerialNumber());
        assertThat(renewed.id()).isEqualTo(ORDERS);
        assertThat(identity.current())
                .hasValueSatisfying(c -> assertThat(c.svid()).isEqualTo(renewed));
        assertThat(service.credentials).containsExactly("token-1", "token-2");
    }

    @Test
    void aFailedRenewalKeepsTheOldSvidAndRetries() throws Exception {
        service.lifetime = Duration.ofSeconds(3);
        identity = builder().build();
        IssuedIdentity first = identity.start().get(WITHIN.toSeconds(), TimeUnit.SECONDS);
        service.unavailableFirst.set(2);
        service.lifetime = Duration.ofHours(24);

        await().atMost(WITHIN).until(() -> identity.renewals() >= 2);
        assertThat(service.calls.get()).isEqualTo(4); // first, two failed renewals, the good one
        assertThat(identity.sslContexts().svid()).isNotEqualTo(first.svid());
    }
}
