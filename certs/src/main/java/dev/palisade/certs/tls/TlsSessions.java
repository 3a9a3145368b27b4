package dev.palisade.certs.tls;

import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.internal.tcnative.SSL;
import javax.net.ssl.SSLEngine;

/** Facts about an established TLS session that {@link javax.net.ssl.SSLSession} does not tell. */
public final class TlsSessions {
    private TlsSessions() {}

    /**
     * Whether the handshake of {@code engine} resumed an earlier session rather than authenticating the peer's
     * certificates afresh. Known for BoringSSL engines only; the JDK's engines say {@code false}.
     */
    public static boolean isResumed(SSLEngine engine) {
        if (engine instanceof ReferenceCountedOpenSslEngine openSsl) {
            // The engine's lock: its SSL pointer is freed (and set to 0) under it when the engine is shut down.
            synchronized (openSsl) {
                long ssl = openSsl.sslPointer();
                return ssl != 0 && SSL.isSessionReused(ssl);
            }
        }
        return false;
    }
}
