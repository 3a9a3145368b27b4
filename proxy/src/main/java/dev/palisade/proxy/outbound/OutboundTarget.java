package dev.palisade.proxy.outbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/** Where one app connection goes, decided once when it is accepted. */
sealed interface OutboundTarget {

    /**
     * A mesh destination: mTLS to {@code address}, whose server must present {@code expectedPeer} (or, when null,
     * any identity of this workload's trust domain).
     */
    record Mesh(String name, InetSocketAddress address, @Nullable SpiffeId expectedPeer) implements OutboundTarget {
        public Mesh {
            requireNonNull(name, "name");
            requireNonNull(address, "address");
        }
    }

    /** Outside the mesh, allowed: plain TCP to {@code address}. */
    record Passthrough(InetSocketAddress address) implements OutboundTarget {
        public Passthrough {
            requireNonNull(address, "address");
        }
    }

    /** Closed at once, for {@code reason} (an observer label). */
    record Refused(String reason, @Nullable InetSocketAddress address) implements OutboundTarget {
        public Refused {
            requireNonNull(reason, "reason");
        }
    }
}
