package dev.palisade.controlplane.identity;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.CertificateSigningRequest;
import dev.palisade.certs.ca.CsrException;
import dev.palisade.certs.identity.IdentityMessages;
import dev.palisade.certs.v1.IdentityGrpc;
import dev.palisade.certs.v1.SignRequest;
import dev.palisade.certs.v1.SignResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code palisade.identity.v1.Identity} service.
 *
 * <p>{@code Sign}: verify the credential (UNAUTHENTICATED otherwise), parse and check the CSR (INVALID_ARGUMENT with
 * the reason), require that it asks for exactly the entitled SPIFFE ID (PERMISSION_DENIED otherwise), cap the
 * lifetime ({@code maxTtl}, and the CA's own lifetime), sign, and return the chain with the current trust bundles.
 * The CA and bundles are read from suppliers on every call, so a root rotation takes effect without a restart.
 */
public final class IdentityService extends IdentityGrpc.IdentityImplBase {
    private static final Logger logger = LoggerFactory.getLogger(IdentityService.class);
    /** A CSR larger than this is refused before parsing: real ones are under 1 KiB. */
    static final int MAX_CSR_BYTES = 16 * 1024;

    private final CredentialVerifier credentials;
    private final Supplier<CertificateAuthority> ca;
    private final Supplier<TrustBundleSet> bundles;
    private final Duration defaultTtl;
    private final Duration maxTtl;

    public IdentityService(
            CredentialVerifier credentials,
            Supplier<CertificateAuthority> ca,
            Supplier<TrustBundleSet> bundles,
            Duration defaultTtl,
            Duration maxTtl) {
        this.credentials = requireNonNull(credentials, "credentials");
        this.ca = requireNonNull(ca, "ca");
        this.bundles = requireNonNull(bundles, "bundles");
        this.defaultTtl = requireNonNull(defaultTtl, "defaultTtl");
        this.maxTtl = requireNonNull(maxTtl, "maxTtl");
        if (defaultTtl.isNegative() || defaultTtl.isZero() || defaultTtl.compareTo(maxTtl) > 0) {
            throw new IllegalArgumentException(
                    "defaultTtl: " + defaultTtl + " (expected: > 0 and <= maxTtl " + maxTtl + ")");
        }
    }

    @Override
    public void sign(SignRequest request, StreamObserver<SignResponse> response) {
        Entitlement entitlement;
        try {
            entitlement = credentials.verify(request.getCredential());
        } catch (CredentialException e) {
            logger.info("identity: refused (UNAUTHENTICATED): {}", e.getMessage());
            response.onError(
                    Status.UNAUTHENTICATED.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            logger.warn("identity: credential verification failed", e);
            response.onError(Status.UNAVAILABLE
                    .withDescription("credential verification failed")
                    .asRuntimeException());
            return;
        }
        if (request.getCsr().size() > MAX_CSR_BYTES) {
            refuse(
                    response,
                    entitlement,
                    Status.INVALID_ARGUMENT,
                    "CSR of " + request.getCsr().size() + " bytes is larger than " + MAX_CSR_BYTES);
            return;
        }
        if (request.getRequestedTtlSeconds() < 0) {
            refuse(
                    response,
                    entitlement,
                    Status.INVALID_ARGUMENT,
                    "requested_ttl_seconds: " + request.getRequestedTtlSeconds() + " (expected: >= 0)");
            return;
        }
        Duration ttl = request.getRequestedTtlSeconds() == 0
                ? defaultTtl
                : Duration.ofSeconds(Math.min(request.getRequestedTtlSeconds(), maxTtl.getSeconds()));
        CertificateAuthority authority = ca.get().withMaxTtl(maxTtl);
        List<X509Certificate> chain;
        try {
            CertificateSigningRequest csr =
                    CertificateSigningRequest.parse(request.getCsr().toByteArray());
            chain = authority.sign(csr, entitlement.id(), ttl);
        } catch (CsrException e) {
            Status status =
                    e.reason() == CsrException.Reason.ID_MISMATCH ? Status.PERMISSION_DENIED : Status.INVALID_ARGUMENT;
            refuse(response, entitlement, status, String.valueOf(e.getMessage()));
            return;
        }
        X509Certificate leaf = chain.get(0);
        logger.info(
                "identity: issued {} to {} serial {} expires {}",
                entitlement.id(),
                entitlement.subject(),
                leaf.getSerialNumber().toString(16),
                leaf.getNotAfter().toInstant());
        response.onNext(SignResponse.newBuilder()
                .addAllCertificateChain(IdentityMessages.encode(chain))
                .addAllTrustBundles(IdentityMessages.encode(bundles.get()))
                .build());
        response.onCompleted();
    }

    private static void refuse(
            StreamObserver<SignResponse> response, Entitlement entitlement, Status status, String message) {
        logger.info(
                "identity: refused ({}) {} for {}: {}",
                status.getCode(),
                entitlement.id(),
                entitlement.subject(),
                message);
        response.onError(status.withDescription(message).asRuntimeException());
    }
}
