package dev.palisade.flowlog;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.palisade.certs.x509.X509Svid;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;

/**
 * Signs checkpoints with the sidecar's current SVID key. Each call may use another key: after a renewal the next
 * checkpoint is signed with the new key and carries the new chain, so {@link Signature} returns both together.
 *
 * <p>Called on the flow-log writer thread only; implementations need not be thread-safe beyond reading the current
 * SVID.
 */
@FunctionalInterface
public interface CheckpointSigner {

    /** A signature and the chain whose leaf key made it (leaf first, no root). */
    record Signature(ByteString value, List<X509Certificate> chain) {
        public Signature {
            requireNonNull(value, "value");
            chain = List.copyOf(requireNonNull(chain, "chain"));
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("chain: empty (expected: the signing leaf first)");
            }
        }
    }

    /** Signs {@code payload} with the current key. */
    Signature sign(byte[] payload) throws GeneralSecurityException;

    /** A signer that always uses {@code key}, whose certificate is {@code chain.get(0)}. */
    static CheckpointSigner of(PrivateKey key, List<X509Certificate> chain) {
        requireNonNull(key, "key");
        List<X509Certificate> copy = List.copyOf(requireNonNull(chain, "chain"));
        return payload -> new Signature(
                ByteString.copyFrom(Signatures.sign(key, copy.get(0).getPublicKey(), payload)), copy);
    }

    /**
     * A signer that reads the current SVID on every checkpoint (the renewal's "current value" holder), so that key
     * rotation needs no call on the chain.
     */
    static CheckpointSigner ofCurrent(Supplier<X509Svid> current) {
        requireNonNull(current, "current");
        return payload -> {
            X509Svid svid = current.get();
            return new Signature(
                    ByteString.copyFrom(
                            Signatures.sign(svid.privateKey(), svid.leaf().getPublicKey(), payload)),
                    svid.chain());
        };
    }
}
