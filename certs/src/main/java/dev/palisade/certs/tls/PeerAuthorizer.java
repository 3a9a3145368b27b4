package dev.palisade.certs.tls;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import java.util.Set;

/**
 * Decides, during the handshake, whether a peer whose chain verified may be talked to at all. The
 * server side usually accepts any member of a trusted domain (authorization proper happens per
 * request); a client names the identity it expects its server to have.
 */
@FunctionalInterface
public interface PeerAuthorizer {

    /** Whether the verified peer {@code id} is acceptable. */
    boolean isAuthorized(SpiffeId id);

    /** Any peer whose chain verified against the bundle of its own trust domain. */
    static PeerAuthorizer anyVerified() {
        return id -> true;
    }

    /** Only members of {@code trustDomain}. */
    static PeerAuthorizer memberOf(TrustDomain trustDomain) {
        requireNonNull(trustDomain, "trustDomain");
        return id -> id.isMemberOf(trustDomain);
    }

    /** Exactly one of {@code ids}. */
    static PeerAuthorizer oneOf(Set<SpiffeId> ids) {
        Set<SpiffeId> copy = Set.copyOf(ids);
        return copy::contains;
    }

    /** Exactly {@code id}. */
    static PeerAuthorizer exactly(SpiffeId id) {
        requireNonNull(id, "id");
        return id::equals;
    }
}
