package dev.palisade.certs.tls;

/** Which TLS implementation to use. */
public enum TlsProvider {
    /** BoringSSL (netty-tcnative) when it loads on this platform, the JDK's otherwise. */
    AUTO,
    /** BoringSSL through netty-tcnative; fails when it is not available. */
    OPENSSL,
    /** The JDK's JSSE. */
    JDK
}
