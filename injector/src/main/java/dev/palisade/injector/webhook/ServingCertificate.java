package dev.palisade.injector.webhook;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.pem.Pem;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook's TLS serving certificate, read from PEM files and re-read when they change.
 *
 * <p>It is an ordinary server certificate whose DNS SAN is the webhook Service's name
 * ({@code palisade-webhook.<namespace>.svc}); the API server verifies it against the {@code caBundle} of the webhook
 * configuration. cert-manager and the control plane both renew it in place, so each new connection first checks — at
 * most once a second — whether either file changed, and builds a new context if so; open connections keep theirs. A
 * file that fails to load keeps the last good certificate in service (logged).
 *
 * <p>TLS 1.3 and 1.2 (the API server's Go client speaks both); ALPN offers only {@code http/1.1}, so a client that
 * would prefer HTTP/2 settles on HTTP/1.1.
 */
public final class ServingCertificate {

    private static final Logger logger = LoggerFactory.getLogger(ServingCertificate.class);
    private static final long CHECK_INTERVAL_NANOS = 1_000_000_000L;

    private final Path certFile;
    private final Path keyFile;
    private volatile Loaded loaded;
    private volatile long lastCheck;

    private ServingCertificate(Path certFile, Path keyFile, Loaded loaded) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.loaded = loaded;
        this.lastCheck = System.nanoTime();
    }

    /**
     * Loads the certificate chain (leaf first) and its unencrypted private key.
     *
     * @throws dev.palisade.certs.pem.PemException naming the file when either does not parse or they do not match
     * @throws SSLException when the TLS stack refuses them
     */
    public static ServingCertificate load(Path certFile, Path keyFile) throws SSLException {
        requireNonNull(certFile, "certFile");
        requireNonNull(keyFile, "keyFile");
        return new ServingCertificate(certFile, keyFile, read(certFile, keyFile));
    }

    /** The context for a new connection. */
    public SslContext current() {
        long now = System.nanoTime();
        if (now - lastCheck >= CHECK_INTERVAL_NANOS) {
            reloadIfChanged(now);
        }
        return loaded.context();
    }

    /** The leaf certificate in service. */
    public X509Certificate certificate() {
        return loaded.chain().get(0);
    }

    private synchronized void reloadIfChanged(long now) {
        if (now - lastCheck < CHECK_INTERVAL_NANOS) {
            return;
        }
        lastCheck = now;
        Stamp stamp;
        try {
            stamp = Stamp.of(certFile, keyFile);
        } catch (IOException e) {
            logger.warn("cannot check {} and {} for changes; keeping the certificate in service", certFile, keyFile, e);
            return;
        }
        if (stamp.equals(loaded.stamp())) {
            return;
        }
        try {
            loaded = read(certFile, keyFile);
            logger.info(
                    "reloaded the serving certificate from {} (expires {})",
                    certFile,
                    loaded.chain().get(0).getNotAfter().toInstant());
        } catch (SSLException | RuntimeException e) {
            logger.warn("cannot reload the serving certificate from {}; keeping the one in service", certFile, e);
            // Do not retry the same broken files every second: wait for the next change.
            loaded = new Loaded(loaded.context(), loaded.chain(), stamp);
        }
    }

    private static Loaded read(Path certFile, Path keyFile) throws SSLException {
        Stamp stamp;
        try {
            stamp = Stamp.of(certFile, keyFile);
        } catch (IOException e) {
            stamp = new Stamp(-1, -1, -1, -1);
        }
        List<X509Certificate> chain = Pem.readCertificates(certFile);
        PrivateKey key = Pem.readPrivateKey(keyFile);
        Pem.verifyKeyMatches(key, chain.get(0).getPublicKey(), keyFile.toString());
        SslContext context = SslContextBuilder.forServer(key, chain)
                .protocols("TLSv1.3", "TLSv1.2")
                .applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_1_1))
                .build();
        return new Loaded(context, chain, stamp);
    }

    private record Loaded(SslContext context, List<X509Certificate> chain, Stamp stamp) {}

    /** Modification times and sizes of both files: a renewal changes at least one. */
    private record Stamp(long certModified, long certSize, long keyModified, long keySize) {
        static Stamp of(Path cert, Path key) throws IOException {
            return new Stamp(
                    Files.getLastModifiedTime(cert).toMillis(),
                    Files.size(cert),
                    Files.getLastModifiedTime(key).toMillis(),
                    Files.size(key));
        }
    }
}
