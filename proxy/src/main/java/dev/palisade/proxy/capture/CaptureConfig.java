package dev.palisade.proxy.capture;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code palisade init-iptables} captures: the sidecar's ports and user, and the ports left alone.
 *
 * <p>Every check names the command-line flag that carries the bad value, so that the init container's log says which
 * annotation or flag to fix: {@code --exclude-inbound-ports: 8080 is listed twice}.
 *
 * @param proxyUid the sidecar's user id; its own connections are never captured (else it would capture itself)
 * @param inboundPort where inbound TCP is redirected: the sidecar's inbound listener
 * @param outboundPort where the application's outbound TCP is redirected: the sidecar's outbound listener
 * @param excludeInboundPorts destination ports that inbound capture leaves alone, besides {@link #ADMIN_PORT} and
 *     {@link #HEALTH_PORT}; kept sorted
 * @param excludeOutboundPorts destination ports that outbound capture leaves alone; kept sorted
 * @param ipv6 whether to configure {@code ip6tables} as well as {@code iptables}; without it, IPv6 connections bypass
 *     the sidecar
 */
public record CaptureConfig(
        long proxyUid,
        int inboundPort,
        int outboundPort,
        List<Integer> excludeInboundPorts,
        List<Integer> excludeOutboundPorts,
        boolean ipv6) {

    /** The sidecar's admin port: loopback only, so never reachable through inbound capture. */
    public static final int ADMIN_PORT = 15000;

    /** The sidecar's health port: the kubelet probes it on the pod IP, in plaintext. */
    public static final int HEALTH_PORT = 15021;

    public static final long DEFAULT_PROXY_UID = 1337;
    public static final int DEFAULT_INBOUND_PORT = 15006;
    public static final int DEFAULT_OUTBOUND_PORT = 15001;

    /** The largest valid uid: {@code (uid_t) -1} means "no user" to the kernel. */
    private static final long MAX_UID = 4_294_967_294L;

    public CaptureConfig {
        if (proxyUid < 1 || proxyUid > MAX_UID) {
            throw new IllegalArgumentException("--proxy-uid: " + proxyUid + " (expected: 1.." + MAX_UID
                    + "; 0 would exempt every process running as root from capture)");
        }
        checkPort("--inbound-port", inboundPort);
        checkPort("--outbound-port", outboundPort);
        if (inboundPort == outboundPort) {
            throw new IllegalArgumentException(
                    "--inbound-port and --outbound-port: both " + inboundPort + " (expected: two different ports)");
        }
        checkNotReserved("--inbound-port", inboundPort);
        checkNotReserved("--outbound-port", outboundPort);
        excludeInboundPorts = checkPorts("--exclude-inbound-ports", excludeInboundPorts);
        excludeOutboundPorts = checkPorts("--exclude-outbound-ports", excludeOutboundPorts);
    }

    /** The defaults: uid 1337, inbound 15006, outbound 15001, no extra exclusions, IPv4 and IPv6. */
    public static CaptureConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .proxyUid(proxyUid)
                .inboundPort(inboundPort)
                .outboundPort(outboundPort)
                .excludeInboundPorts(excludeInboundPorts)
                .excludeOutboundPorts(excludeOutboundPorts)
                .ipv6(ipv6);
    }

    /** Every destination port that inbound capture leaves alone: admin, health and the excluded ones, sorted. */
    public List<Integer> inboundExclusions() {
        TreeSet<Integer> all = new TreeSet<>(excludeInboundPorts);
        all.add(ADMIN_PORT);
        all.add(HEALTH_PORT);
        return List.copyOf(all);
    }

    /** The families to configure: IPv4, and IPv6 unless turned off. */
    public List<IpFamily> families() {
        return ipv6 ? List.of(IpFamily.IPV4, IpFamily.IPV6) : List.of(IpFamily.IPV4);
    }

    /**
     * Parses a comma-separated port list as the flags and the pod annotations carry it: {@code "8080,9090"}, spaces
     * around the commas allowed, {@code ""} for none. Ranges and duplicates are checked by the constructor.
     *
     * @param flag the flag the text came from, named in the error
     * @throws IllegalArgumentException naming the flag and the bad element
     */
    public static List<Integer> parsePorts(String flag, String text) {
        requireNonNull(flag, "flag");
        requireNonNull(text, "text");
        if (text.isBlank()) {
            return List.of();
        }
        List<Integer> ports = new ArrayList<>();
        for (String element : text.split(",", -1)) {
            String port = element.strip();
            if (port.isEmpty()) {
                throw new IllegalArgumentException(flag + ": empty element in '" + text + "' (expected: ports"
                        + " separated by commas, such as 8080,9090)");
            }
            if (port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException(flag + ": '" + port + "' is not a port number (expected: 1..65535)");
            }
            ports.add(Integer.parseInt(port));
        }
        return ports;
    }

    private static void checkPort(String flag, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(flag + ": " + port + " (expected: 1..65535)");
        }
    }

    private static void checkNotReserved(String flag, int port) {
        if (port == ADMIN_PORT) {
            throw new IllegalArgumentException(
                    flag + ": " + port + " is the sidecar's admin port (expected: another" + " port)");
        }
        if (port == HEALTH_PORT) {
            throw new IllegalArgumentException(
                    flag + ": " + port + " is the sidecar's health port (expected: another" + " port)");
        }
    }

    private static List<Integer> checkPorts(String flag, List<Integer> ports) {
        requireNonNull(ports, flag);
        Set<Integer> seen = new HashSet<>();
        for (Integer port : ports) {
            checkPort(flag, requireNonNull(port, flag));
            if (!seen.add(port)) {
                throw new IllegalArgumentException(flag + ": " + port + " is listed twice");
            }
        }
        return List.copyOf(new TreeSet<>(ports));
    }

    /** Builds a {@link CaptureConfig}; starts from the defaults. */
    public static final class Builder {
        private long proxyUid = DEFAULT_PROXY_UID;
        private int inboundPort = DEFAULT_INBOUND_PORT;
        private int outboundPort = DEFAULT_OUTBOUND_PORT;
        private List<Integer> excludeInboundPorts = List.of();
        private List<Integer> excludeOutboundPorts = List.of();
        private boolean ipv6 = true;

        private Builder() {}

        public Builder proxyUid(long proxyUid) {
            this.proxyUid = proxyUid;
            return this;
        }

        public Builder inboundPort(int inboundPort) {
            this.inboundPort = inboundPort;
            return this;
        }

        public Builder outboundPort(int outboundPort) {
            this.outboundPort = outboundPort;
            return this;
        }

        public Builder excludeInboundPorts(List<Integer> ports) {
            this.excludeInboundPorts = new ArrayList<>(requireNonNull(ports, "ports"));
            return this;
        }

        /** {@link #parsePorts parses} {@code "8080,9090"}, naming {@code --exclude-inbound-ports} in errors. */
        public Builder excludeInboundPorts(String commaSeparated) {
            return excludeInboundPorts(parsePorts("--exclude-inbound-ports", commaSeparated));
        }

        public Builder excludeOutboundPorts(List<Integer> ports) {
            this.excludeOutboundPorts = new ArrayList<>(requireNonNull(ports, "ports"));
            return this;
        }

        /** {@link #parsePorts parses} {@code "5432,6379"}, naming {@code --exclude-outbound-ports} in errors. */
        public Builder excludeOutboundPorts(String commaSeparated) {
            return excludeOutboundPorts(parsePorts("--exclude-outbound-ports", commaSeparated));
        }

        public Builder ipv6(boolean ipv6) {
            this.ipv6 = ipv6;
            return this;
        }

        /** @throws IllegalArgumentException naming the flag of the first bad value */
        public CaptureConfig build() {
            return new CaptureConfig(
                    proxyUid, inboundPort, outboundPort, excludeInboundPorts, excludeOutboundPorts, ipv6);
        }
    }
}
