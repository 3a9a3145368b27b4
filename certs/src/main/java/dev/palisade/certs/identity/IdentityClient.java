package dev.palisade.certs.identity;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.CertificateSigningRequest;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.v1.IdentityGrpc;
import dev.palisade.certs.v1.SignRequest;
import dev.palisade.certs.v1.SignResponse;
import dev.palisade.certs.x509.SvidVerificationException;
import dev.palisade.certs.x509.SvidVerifier;
import dev.palisade.certs.x509.X509Svid;
import io.grpc.Channel;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Gets an X.509-SVID from the identity service: makes a fresh key pair (it never leaves the process), sends a CSR
 * for {@code id} with the credential, and verifies the answer before returning it — the chain must verify against
 * the returned bundles (and against the bundles the caller already trusts, when it has any), name exactly {@code id},
 * and carry the public key this client made. A control plane that answers with anything else is refused.
 *
 * <p>Blocking; call it off the event loop. The channel is the caller's (TLS to the control plane, verified against
 * the bootstrap bundle).
 */
public final class IdentityClient {
    private final IdentityGrpc.IdentityBlockingStub stub;
    private final KeyAlgorithm keyAlgorithm;
    private final Clock clock;
    private final Duration deadline;

    public IdentityClient(Channel channel, KeyAlgorithm keyAlgorithm, Clock clock, Duration deadline) {
        this.stub = IdentityGrpc.newBlockingStub(requireNonNull(channel, "channel"));
        this.keyAlgorithm = requireNonNull(keyAlgorithm, "keyAlgorithm");
        this.clock = requireNonNull(clock, "clock");
        this.deadline = requireNonNull(deadline, "deadline");
    }

    /**
     * Requests an SVID for {@code id}.
     *
     * @param ttl requested lifetime; {@link Duration#ZERO} for the server's default
     * @throws io.grpc.StatusRuntimeException as the server answered (UNAUTHENTICATED, PERMISSION_DENIED, ...)
     * @throws CertificateException when the answer does not verify
     */
    public IssuedIdentity request(SpiffeId id, String credential, Duration ttl) throws CertificateException {
        requireNonNull(id, "id");
        requireNonNull(credential, "credential");
        KeyPair keys = keyAlgorithm.generate();
        CertificateSigningRequest csr = CertificateSigningRequest.create(keys, id);
        SignResponse response = stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .sign(SignRequest.newBuilder()
                        .setCsr(ByteString.copyFrom(csr.encoded()))
                        .setCredential(credential)
                        .setRequestedTtlSeconds(ttl.getSeconds())
                        .build());
        List<X509Certificate> chain = IdentityMessages.decode(response.getCertificateChainList(), "certificate_chain");
        if (chain.isEmpty()) {
            throw new CertificateException("the identity service returned an empty certificate chain");
        }
        TrustBundleSet bundles = IdentityMessages.decode(response.getTrustBundlesList());
        SpiffeId issued;
        try {
            issued = SvidVerifier.of(bundles, clock, SvidVerifier.DEFAULT_SKEW).verify(chain);
        } catch (SvidVerificationException e) {
            throw new CertificateException("the issued certificate does not verify: " + e.getMessage(), e);
        }
        if (!issued.equals(id)) {
            throw new CertificateException("asked for " + id + " but the identity service issued " + issued);
        }
        if (!chain.get(0).getPublicKey().equals(keys.getPublic())) {
            throw new CertificateException("the issued certificate does not carry the key this workload made");
        }
        return new IssuedIdentity(new X509Svid(id, chain, keys.getPrivate()), bundles);
    }
}
