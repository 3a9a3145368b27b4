package dev.palisade.certs.tls;

/** The TLS versions Palisade speaks. */
public enum TlsVersion {
    TLS_1_2("TLSv1.2"),
    TLS_1_3("TLSv1.3");

    private final String protocolName;

    TlsVersion(String protocolName) {
        this.protocolName = protocolName;
    }

    /** The JSSE protocol name, such as {@code TLSv1.3}. */
    public String protocolName() {
        return protocolName;
    }
}
