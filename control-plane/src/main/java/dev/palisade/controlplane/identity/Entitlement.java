package dev.palisade.controlplane.identity;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;

/**
 * What a verified credential proves: the one SPIFFE ID its holder may get a certificate for, and a description of
 * the credential for the audit log (never the credential itself).
 *
 * @param id the SPIFFE ID the holder is entitled to
 * @param subject who presented it, for logs: {@code bootstrap-token#3} or {@code system:serviceaccount:shop:orders}
 */
public record Entitlement(SpiffeId id, String subject) {
    public Entitlement {
        requireNonNull(id, "id");
        requireNonNull(subject, "subject");
    }
}
