package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

import dev.palisade.controlplane.config.MtlsMode;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The mTLS mode in force at a workload, after {@code PeerAuthentication} precedence: a policy
 * selecting the workload, else its namespace's policy, else the mesh-wide policy (root namespace),
 * else the mesh default.
 *
 * @param mode the workload's mode, for every port without a port-level mode
 * @param portModes the mode of each declared port ({@code portLevelMtls} of the selecting policy,
 *     else {@link #mode})
 * @param source the {@code PeerAuthentication} that decided, or {@code null} for the mesh default
 */
public record EffectiveMtls(MtlsMode mode, Map<Integer, MtlsMode> portModes, @Nullable ObjectRef source) {

    public EffectiveMtls {
        requireNonNull(mode, "mode");
        portModes = Map.copyOf(portModes);
    }

    /** The mode on {@code port}: its port-level mode if it has one, else {@link #mode()}. */
    public MtlsMode modeFor(int port) {
        return portModes.getOrDefault(port, mode);
    }
}
