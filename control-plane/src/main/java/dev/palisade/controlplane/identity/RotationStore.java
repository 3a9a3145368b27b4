package dev.palisade.controlplane.identity;

import dev.palisade.certs.ca.CertificateAuthority;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@link RootRotation} keeps its state so that every control-plane replica follows one rotation: the same
 * new root, the same phase changes. Writes are compare-and-set on an opaque version (a Kubernetes resourceVersion),
 * so when two replicas move at once exactly one wins and the other adopts what it wrote.
 */
public interface RotationStore {

    /** A rotation's durable state. */
    record Persisted(
            RootRotation.Phase phase,
            Instant since,
            CertificateAuthority issuer,
            @Nullable CertificateAuthority next,
            @Nullable X509Certificate previousRoot,
            String version) {}

    /** The stored state. */
    Optional<Persisted> load();

    /**
     * Stores {@code next} if the store is still at {@code expectedVersion}.
     *
     * @return the new version, or empty when another writer got there first (the caller reloads)
     */
    Optional<String> compareAndSet(String expectedVersion, Persisted next);
}
