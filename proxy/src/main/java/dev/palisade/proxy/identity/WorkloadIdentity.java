package dev.palisade.proxy.identity;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.identity.IdentityClient;
import dev.palisade.certs.identity.IssuedIdentity;
import dev.palisade.certs.renewal.RenewalSchedule;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.DynamicSslContext;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.SvidSslContextSource;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.x509.X509Svid;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workload's X.509-SVID for the life of the sidecar: obtained from the control plane's identity service at
 * {@link #start()}, renewed at half life (± jitter, {@link RenewalSchedule}), and published through
 * {@link #sslContexts()} so that a renewal or a new trust bundle applies to new handshakes while open connections keep
 * theirs.
 *
 * <p>First SVID: the identity channel is TLS without a client certificate, verifying the control plane against the
 * bootstrap bundle file and exactly its SPIFFE ID. While the control plane is UNAVAILABLE (or answers anything but a
 * refusal) the request is retried with {@link Backoff}; UNAUTHENTICATED, PERMISSION_DENIED or INVALID_ARGUMENT fail
 * {@link #ready()} with a {@link WorkloadIdentityException}, since retrying cannot fix a wrong token. Renewal: the
 * identity service authenticates by the credential only (the control plane's {@code IdentityService} reads nothing
 * else), so every request carries the credential, read afresh from the supplier (projected tokens rotate). New
 * connections of the identity channel present the current SVID while it is valid, and none once it has expired: the
 * control plane verifies a presented certificate, so an expired one would lock the sidecar out of its own renewal.
 * A failed renewal is retried with backoff, forever; the old SVID stays in use until it expires, and then
 * {@link #isReady()} turns false.
 *
 * <p>Threading: every request runs on the scheduler, one at a time (each attempt schedules the next); readers see
 * volatile snapshots.
 */
public final class WorkloadIdentity implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(WorkloadIdentity.class);

    /** gRPC needs ALPN {@code h2}. */
    static final List<String> GRPC_ALPN = List.of("h2");

    private final SpiffeId workloadId;
    private final SpiffeId controlPlaneId;
    private final Supplier<String> credential;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final Duration ttl;
    private final Backoff backoff;
    private final RenewalSchedule renewal;
    private final TlsOptions tlsOptions;
    private final TlsOptions grpcTls;
    private final PeerAuthorizer serverSideAuthorizer;
    private final PeerAuthorizer clientSideAuthorizer;
    private final ManagedChannel channel;
    private final IdentityClient client;
    private final SecureRandom random = new SecureRandom();
    private final CompletableFuture<IssuedIdentity> ready = new CompletableFuture<>();
    private final AtomicLong renewals = new AtomicLong();

    private volatile SslContext anonymousContext;
    private volatile @Nullable SslContext controlPlaneContext;
    private volatile @Nullable SvidSslContextSource sslContexts;
    private volatile @Nullable IssuedIdentity current;
    private volatile @Nullable Instant lastRenewal;
    private volatile @Nullable ScheduledFuture<?> next;
    private volatile boolean started;
    private volatile boolean closed;

    private WorkloadIdentity(Builder b) throws SSLException {
        this.workloadId = b.workloadId;
        this.controlPlaneId = b.controlPlaneId;
        this.credential = b.credential;
        this.clock = b.clock;
        this.ownsScheduler = b.scheduler == null;
        this.scheduler = b.scheduler != null
                ? b.scheduler
                : Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "palisade-identity");
                    t.setDaemon(true);
                    return t;
                });
        this.ttl = b.ttl;
        this.backoff = b.backoff;
        this.renewal = b.renewal != null
                ? b.renewal
                : RenewalSchedule.of(b.clock, random::nextDouble, RenewalSchedule.DEFAULT_JITTER_FRACTION);
        this.tlsOptions = b.tlsOptions;
        // The control plane's channel (identity, xDS, flow-log shipping) keeps the default key-exchange groups whatever
        // the data path's are: the control plane offers those, so an operator's --tls-groups can neither cut the
        // sidecar off from it nor take the hybrid post-quantum group from the channel that carries its token, its CSRs,
        // the policy and the flow logs.
        this.grpcTls = b.tlsOptions.withGroups(TlsOptions.DEFAULT_GROUPS).withAlpn(GRPC_ALPN);
        this.serverSideAuthorizer = b.serverSideAuthorizer;
        this.clientSideAuthorizer = b.clientSideAuthorizer;
        TrustBundleSet bootstrap = TrustBundleSet.of(TrustBundle.read(workloadId.trustDomain(), b.bootstrapBundle));
        this.anonymousContext =
                SpiffeSslContexts.forAnonymousClient(bootstrap, grpcTls, PeerAuthorizer.exactly(controlPlaneId), clock);
        this.channel = NettyChannelBuilder.forAddress(b.controlPlane.getHostString(), b.controlPlane.getPort())
                .sslContext(new DynamicSslContext(this::identityChannelContext))
                .build();
        this.client = new IdentityClient(channel, b.keyAlgorithm, clock, b.requestDeadline);
    }

    /**
     * @param controlPlane the control plane's gRPC address (identity and xDS)
     * @param controlPlaneId the SPIFFE ID the control plane must present
     * @param bootstrapBundle PEM file with the roots that vouch for the control plane before the first SVID
     * @param workloadId the identity to ask for
     * @param credential the token, asked for again before every request: {@link #tokenFile(Path)} re-reads a file
     */
    public static Builder builder(
            InetSocketAddress controlPlane,
            SpiffeId controlPlaneId,
            Path bootstrapBundle,
            SpiffeId workloadId,
            Supplier<String> credential) {
        return new Builder(controlPlane, controlPlaneId, bootstrapBundle, workloadId, credential);
    }

    /** A credential read from {@code file} on every call (trimmed), so that a rotated projected token is used. */
    public static Supplier<String> tokenFile(Path file) {
        requireNonNull(file, "file");
        return () -> {
            try {
                return Files.readString(file, StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the workload credential " + file, e);
            }
        };
    }

    /**
     * Starts getting the first SVID, in the background; idempotent.
     *
     * @return {@link #ready()}: completes with the first SVID, or fails with a {@link WorkloadIdentityException}
     */
    public CompletableFuture<IssuedIdentity> start() {
        synchronized (this) {
            if (!started && !closed) {
                started = true;
                next = scheduler.schedule(() -> attempt(0), 0, TimeUnit.MILLISECONDS);
            }
        }
        return ready;
    }

    private void attempt(int failures) {
        if (closed) {
            return;
        }
        boolean first = current == null;
        try {
            IssuedIdentity issued = client.request(workloadId, credential.get(), ttl);
            install(issued);
            return;
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            boolean refused = code == Status.Code.UNAUTHENTICATED
                    || code == Status.Code.PERMISSION_DENIED
                    || code == Status.Code.INVALID_ARGUMENT;
            if (first && refused) {
                String message = "the control plane refused to issue an SVID for " + workloadId + ": " + code
                        + (e.getStatus().getDescription() == null
                                ? ""
                                : " (" + e.getStatus().getDescription() + ")")
                        + "; check the workload's credential (token) and its service account";
                logger.error(message);
                ready.completeExceptionally(new WorkloadIdentityException(message, code, e));
                return;
            }
            retry(failures, first, e);
        } catch (Exception e) {
            // CertificateException (an answer that does not verify), SSLException (contexts), UncheckedIOException
            // (credential file): all may be transient.
            retry(failures, first, e);
        }
    }

    private void retry(int failures, boolean first, Exception cause) {
        Duration delay = backoff.delay(failures, random::nextDouble);
        IssuedIdentity held = current;
        if (first) {
            logger.warn("identity: no SVID yet for {}; retrying in {}: {}", workloadId, delay, cause.toString());
        } else {
            logger.warn(
                    "identity: renewal for {} failed; retrying in {} (current SVID valid until {}): {}",
                    workloadId,
                    delay,
                    held == null ? "-" : held.svid().notAfter(),
                    cause.toString());
        }
        schedule(() -> attempt(failures + 1), delay);
    }

    private void install(IssuedIdentity issued) throws SSLException {
        X509Svid svid = issued.svid();
        SvidSslContextSource source = sslContexts;
        if (source == null) {
            sslContexts = new SvidSslContextSource(
                    svid, issued.bundles(), tlsOptions, serverSideAuthorizer, clientSideAuthorizer, clock);
        } else {
            source.update(svid, issued.bundles());
        }
        PeerAuthorizer controlPlane = PeerAuthorizer.exactly(controlPlaneId);
        controlPlaneContext = SpiffeSslContexts.forClient(svid, issued.bundles(), grpcTls, controlPlane, clock);
        // The bundles that came with the SVID replace the bootstrap ones, for a fallback to anonymous TLS too.
        anonymousContext = SpiffeSslContexts.forAnonymousClient(issued.bundles(), grpcTls, controlPlane, clock);
        current = issued;
        Instant installed = clock.instant();
        lastRenewal = installed;
        renewals.incrementAndGet();
        // Half life counted from when the SVID arrived, not from its NotBefore: the CA back-dates NotBefore (5 min,
        // for clock skew), which for a short-lived certificate would put "half life" in the past and renew at once,
        // again and again.
        Instant from = svid.notBefore().isAfter(installed) ? svid.notBefore() : installed;
        Duration delay = renewal.delayUntilRenewal(from, svid.notAfter());
        logger.info("identity: SVID {} installed; renewal in {}", svid, delay);
        ready.complete(issued);
        schedule(() -> attempt(0), delay);
    }

    private void schedule(Runnable task, Duration delay) {
        synchronized (this) {
            if (!closed) {
                next = scheduler.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    private SslContext identityChannelContext() {
        IssuedIdentity held = current;
        SslContext withSvid = controlPlaneContext;
        if (held != null
                && withSvid != null
                && clock.instant().isBefore(held.svid().notAfter())) {
            return withSvid;
        }
        return anonymousContext;
    }

    /** Completes with the first SVID, or fails with a {@link WorkloadIdentityException} when it was refused. */
    public CompletableFuture<IssuedIdentity> ready() {
        return ready;
    }

    /** Whether the sidecar holds an SVID that has not expired. */
    public boolean isReady() {
        IssuedIdentity held = current;
        return held != null && clock.instant().isBefore(held.svid().notAfter());
    }

    /**
     * The server and client contexts of the data path, built from the current SVID and bundles.
     *
     * @throws IllegalStateException before the first SVID
     */
    public SvidSslContextSource sslContexts() {
        SvidSslContextSource source = sslContexts;
        if (source == null) {
            throw new IllegalStateException("no SVID yet for " + workloadId + ": wait for ready()");
        }
        return source;
    }

    /**
     * A client context for the control plane's gRPC port (xDS): presents the current SVID, accepts exactly the
     * control plane's SPIFFE ID, offers {@code h2}; each new connection takes the SVID current at that time.
     */
    public SslContext controlPlaneSslContext() {
        return new DynamicSslContext(() -> {
            SslContext context = controlPlaneContext;
            if (context == null) {
                throw new IllegalStateException("no SVID yet for " + workloadId + ": wait for ready()");
            }
            return context;
        });
    }

    /** The current SVID and trust bundles, if one was issued. */
    public Optional<IssuedIdentity> current() {
        return Optional.ofNullable(current);
    }

    /** When the current SVID was installed. */
    public Optional<Instant> lastRenewal() {
        return Optional.ofNullable(lastRenewal);
    }

    /** When the current SVID expires. */
    public Optional<Instant> expiry() {
        IssuedIdentity held = current;
        return held == null ? Optional.empty() : Optional.of(held.svid().notAfter());
    }

    /** How many SVIDs were installed, the first included. */
    public long renewals() {
        return renewals.get();
    }

    public SpiffeId workloadId() {
        return workloadId;
    }

    /** Stops renewing and closes the identity channel; the scheduler is closed only if this object made it. */
    @Override
    public void close() throws InterruptedException {
        synchronized (this) {
            closed = true;
            ScheduledFuture<?> pending = next;
            if (pending != null) {
                pending.cancel(false);
            }
        }
        ready.completeExceptionally(new IllegalStateException("closed"));
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }

    /** Options of a {@link WorkloadIdentity}; every one has a default except the five of {@link #builder}. */
    public static final class Builder {
        private final InetSocketAddress controlPlane;
        private final SpiffeId controlPlaneId;
        private final Path bootstrapBundle;
        private final SpiffeId workloadId;
        private final Supplier<String> credential;
        private KeyAlgorithm keyAlgorithm = KeyAlgorithm.EC_P256;
        private Clock clock = Clock.systemUTC();
        private @Nullable ScheduledExecutorService scheduler;
        private Duration ttl = Duration.ZERO;
        private Duration requestDeadline = Duration.ofSeconds(10);
        private Backoff backoff = Backoff.defaults();
        private @Nullable RenewalSchedule renewal;
        private TlsOptions tlsOptions = TlsOptions.defaults();
        private PeerAuthorizer serverSideAuthorizer = PeerAuthorizer.anyVerified();
        private PeerAuthorizer clientSideAuthorizer = PeerAuthorizer.anyVerified();

        private Builder(
                InetSocketAddress controlPlane,
                SpiffeId controlPlaneId,
                Path bootstrapBundle,
                SpiffeId workloadId,
                Supplier<String> credential) {
            this.controlPlane = requireNonNull(controlPlane, "controlPlane");
            this.controlPlaneId = requireNonNull(controlPlaneId, "controlPlaneId");
            this.bootstrapBundle = requireNonNull(bootstrapBundle, "bootstrapBundle");
            this.workloadId = requireNonNull(workloadId, "workloadId");
            this.credential = requireNonNull(credential, "credential");
        }

        /** The key the workload makes for each SVID (default EC P-256). */
        public Builder keyAlgorithm(KeyAlgorithm keyAlgorithm) {
            this.keyAlgorithm = requireNonNull(keyAlgorithm, "keyAlgorithm");
            return this;
        }

        /** The clock for validity checks and renewal times (default UTC system clock). */
        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /** Where requests and renewals run (default: a daemon thread of this object's own, closed with it). */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** The lifetime to ask for; {@link Duration#ZERO} (default) for the control plane's. */
        public Builder ttl(Duration ttl) {
            this.ttl = requireNonNull(ttl, "ttl");
            return this;
        }

        public Builder requestDeadline(Duration requestDeadline) {
            this.requestDeadline = requireNonNull(requestDeadline, "requestDeadline");
            return this;
        }

        public Builder backoff(Backoff backoff) {
            this.backoff = requireNonNull(backoff, "backoff");
            return this;
        }

        /** When to renew (default: half life ± 5 %, on {@link #clock}). */
        public Builder renewalSchedule(RenewalSchedule renewal) {
            this.renewal = requireNonNull(renewal, "renewal");
            return this;
        }

        /** TLS options of the data-path contexts; the control-plane contexts use them with ALPN {@code h2}. */
        public Builder tlsOptions(TlsOptions tlsOptions) {
            this.tlsOptions = requireNonNull(tlsOptions, "tlsOptions");
            return this;
        }

        /** Which peers the data-path server and client contexts accept in the handshake (default: any verified). */
        public Builder peerAuthorizers(PeerAuthorizer serverSide, PeerAuthorizer clientSide) {
            this.serverSideAuthorizer = requireNonNull(serverSide, "serverSide");
            this.clientSideAuthorizer = requireNonNull(clientSide, "clientSide");
            return this;
        }

        /**
         * Builds it, not started.
         *
         * @throws SSLException when no TLS context can be built from the bootstrap bundle
         * @throws dev.palisade.certs.pem.PemException when the bootstrap bundle file is unreadable
         */
        public WorkloadIdentity build() throws SSLException {
            return new WorkloadIdentity(this);
        }
    }
}
