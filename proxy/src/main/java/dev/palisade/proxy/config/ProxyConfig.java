package dev.palisade.proxy.config;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One complete, validated version of what the control plane configured for this sidecar: the inbound ports with
 * their policies and modes, and the outbound destinations. Immutable; an xDS update replaces it as a whole ({@link
 * ProxyConfigHolder}), so a connection or request sees exactly one version.
 *
 * @param version the xDS version (the Listener's and Clusters' versions, {@code listener/cluster})
 * @param inbound the workload's ports by port number
 * @param outbound the mesh destinations by address and port
 */
public record ProxyConfig(
        String version, Map<Integer, InboundPort> inbound, Map<InetSocketAddress, Destination> outbound) {
    public ProxyConfig {
        requireNonNull(version, "version");
        inbound = Map.copyOf(requireNonNull(inbound, "inbound"));
        outbound = Map.copyOf(requireNonNull(outbound, "outbound"));
    }

    /** The inbound port {@code port}, or {@code null} when the workload declares no such port. */
    public @Nullable InboundPort inboundPort(int port) {
        return inbound.get(port);
    }

    /** The mesh destination at {@code address}, or {@code null} when it is outside the mesh. */
    public @Nullable Destination destination(InetSocketAddress address) {
        return outbound.get(address);
    }
}
