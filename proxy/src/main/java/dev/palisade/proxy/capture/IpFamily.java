package dev.palisade.proxy.capture;

/**
 * The two IP families, each with its own NAT table in the kernel and its own binary: {@code iptables} only ever sees
 * IPv4 packets and {@code ip6tables} only IPv6 packets, so capture is complete only when both are configured.
 */
public enum IpFamily {
    IPV4("iptables", "127.0.0.0/8"),
    IPV6("ip6tables", "::1/128");

    private final String binary;
    private final String loopback;

    IpFamily(String binary, String loopback) {
        this.binary = binary;
        this.loopback = loopback;
    }

    /** The command that edits this family's tables: {@code iptables} or {@code ip6tables}. */
    public String binary() {
        return binary;
    }

    /** The loopback range, never captured: {@code 127.0.0.0/8} or {@code ::1/128}. */
    public String loopback() {
        return loopback;
    }
}
