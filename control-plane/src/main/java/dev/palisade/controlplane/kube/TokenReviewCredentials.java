package dev.palisade.controlplane.kube;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.identity.CredentialException;
import dev.palisade.controlplane.identity.CredentialVerifier;
import dev.palisade.controlplane.identity.Entitlement;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/**
 * Verifies a projected ServiceAccount token with the TokenReview API (authentication.k8s.io/v1) and entitles its
 * holder to {@code spiffe://<td>/ns/<namespace>/sa/<service-account>}.
 *
 * <p>The review asks for the audience {@code palisade}: a token minted for the API server or for another service is
 * refused, so a token stolen from elsewhere cannot buy an identity. Only ServiceAccount users
 * ({@code system:serviceaccount:<ns>:<sa>}) are entitled; any other authenticated user is refused. An API server
 * that cannot be reached is not a bad credential: that is thrown as an unchecked exception (UNAVAILABLE to the
 * caller, who retries).
 */
public final class TokenReviewCredentials implements CredentialVerifier {
    public static final String AUDIENCE = "palisade";
    private static final String SA_PREFIX = "system:serviceaccount:";

    private final KubernetesClient client;
    private final TrustDomain trustDomain;

    public TokenReviewCredentials(KubernetesClient client, TrustDomain trustDomain) {
        this.client = requireNonNull(client, "client");
        this.trustDomain = requireNonNull(trustDomain, "trustDomain");
    }

    @Override
    public Entitlement verify(String credential) throws CredentialException {
        if (credential == null || credential.isEmpty()) {
            throw new CredentialException("no credential");
        }
        TokenReview review = client.resource(new TokenReviewBuilder()
                        .withNewSpec()
                        .withToken(credential)
                        .withAudiences(AUDIENCE)
                        .endSpec()
                        .build())
                .create();
        TokenReviewStatus status = review == null ? null : review.getStatus();
        if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
            String error = status == null ? null : status.getError();
            throw new CredentialException(
                    "the token was not authenticated by the TokenReview API" + (error == null ? "" : ": " + error));
        }
        List<String> audiences = status.getAudiences();
        if (audiences == null || !audiences.contains(AUDIENCE)) {
            throw new CredentialException("the token is not for the audience '" + AUDIENCE + "'");
        }
        String username = status.getUser() == null ? null : status.getUser().getUsername();
        if (username == null || !username.startsWith(SA_PREFIX)) {
            throw new CredentialException("'" + username + "' is not a ServiceAccount");
        }
        String[] parts = username.substring(SA_PREFIX.length()).split(":", -1);
        if (parts.length != 2) {
            throw new CredentialException("'" + username + "' is not a ServiceAccount user name");
        }
        try {
            return new Entitlement(SpiffeId.forWorkload(trustDomain, parts[0], parts[1]), username);
        } catch (InvalidSpiffeIdException e) {
            throw new CredentialException("'" + username + "' does not make a SPIFFE ID: " + e.getMessage(), e);
        }
    }
}
