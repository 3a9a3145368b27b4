package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

/**
 * A port a {@link Workload} serves.
 *
 * @param name an IANA service name, unique within the workload
 * @param port the port number, 1 to 65535, unique within the workload
 * @param protocol the declared protocol; {@link PortProtocol#TCP} is opaque
 */
public record WorkloadPort(String name, int port, PortProtocol protocol) {

    public WorkloadPort {
        PolicyValues.require("name", name, PolicyValues::portName);
        String problem = PolicyValues.portNumber(port);
        if (problem != null) {
            throw new IllegalArgumentException("port: " + port + ": " + problem);
        }
        requireNonNull(protocol, "protocol");
    }
}
