package dev.palisade.controlplane.identity;

/**
 * Turns a credential into an {@link Entitlement}. Implementations: {@link BootstrapTokens} (local mode) and a
 * TokenReview-based verifier (Kubernetes mode). Called from gRPC threads; implementations are thread-safe and may
 * block (a TokenReview is an API call).
 */
@FunctionalInterface
public interface CredentialVerifier {

    /**
     * Verifies {@code credential}.
     *
     * @throws CredentialException when it proves nothing; the message says why without echoing it
     */
    Entitlement verify(String credential) throws CredentialException;
}
