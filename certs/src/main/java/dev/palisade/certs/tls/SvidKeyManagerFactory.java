package dev.palisade.certs.tls;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.x509.X509Svid;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.SslProvider;
import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/**
 * A {@link KeyManagerFactory} that hands out one SVID's key and chain, for Netty's {@code SslContextBuilder}.
 *
 * <p>Why not {@code SslContextBuilder.forServer(PrivateKey, X509Certificate...)}: Netty turns a key and chain into a
 * PKCS#12 {@link KeyStore} protected by a random password and reads it back, and the JDK's PKCS#12 key protection is
 * PBKDF2 with 10,000 iterations of HMAC-SHA-256. A JFR profile of a starting sidecar had 29 % of its samples there
 * (perf/README.md), paid again at every SVID renewal and every bundle update. This factory has no key store at all.
 * Under BoringSSL it is wrapped in Netty's {@link OpenSslCachingX509KeyManagerFactory}, so the chain and key are
 * encoded into BoringSSL's form once per context rather than at each handshake.
 */
final class SvidKeyManagerFactory extends KeyManagerFactory {
    static final String ALIAS = "svid";

    private SvidKeyManagerFactory(X509Svid svid) {
        super(new Spi(new SvidKeyManager(svid)), PROVIDER, "PalisadeSvid");
    }

    /** A factory for {@code svid} fit for {@code provider}: caching key material under BoringSSL. */
    static KeyManagerFactory of(X509Svid svid, SslProvider provider) {
        requireNonNull(svid, "svid");
        KeyManagerFactory plain = new SvidKeyManagerFactory(svid);
        return provider == SslProvider.JDK ? plain : new OpenSslCachingX509KeyManagerFactory(plain);
    }

    private static final Provider PROVIDER = new SvidProvider();

    /** Only a name for {@link KeyManagerFactory#getProvider()}; it registers no services. */
    private static final class SvidProvider extends Provider {
        private static final long serialVersionUID = 1L;

        SvidProvider() {
            super("PalisadeSvid", "1", "the key and chain of one X.509-SVID, in memory");
        }
    }

    private static final class Spi extends KeyManagerFactorySpi {
        private final KeyManager[] managers;

        Spi(X509ExtendedKeyManager manager) {
            this.managers = new KeyManager[] {manager};
        }

        @Override
        protected void engineInit(@Nullable KeyStore ks, char @Nullable [] password) {
            // Nothing to load: the key and chain were given at construction.
        }

        @Override
        protected void engineInit(@Nullable ManagerFactoryParameters spec) {
            // Nothing to load: the key and chain were given at construction.
        }

        @Override
        protected KeyManager[] engineGetKeyManagers() {
            return managers.clone();
        }
    }

    /**
     * One alias, {@value #ALIAS}, offered for every key type the key can serve: the key's own algorithm ("EC") and
     * the combined forms TLS 1.2 libraries ask for ("EC_EC", "EC_RSA": an EC key under a CA of either kind).
     */
    static final class SvidKeyManager extends X509ExtendedKeyManager {
        private final PrivateKey key;
        private final X509Certificate[] chain;

        SvidKeyManager(X509Svid svid) {
            this.key = svid.privateKey();
            this.chain = svid.chain().toArray(new X509Certificate[0]);
        }

        private @Nullable String aliasFor(@Nullable String keyType) {
            if (keyType == null) {
                return null;
            }
            String algorithm = key.getAlgorithm();
            return keyType.equals(algorithm) || keyType.startsWith(algorithm + "_") ? ALIAS : null;
        }

        private @Nullable String aliasFor(String @Nullable [] keyTypes) {
            if (keyTypes == null) {
                return null;
            }
            for (String type : keyTypes) {
                if (aliasFor(type) != null) {
                    return ALIAS;
                }
            }
            return null;
        }

        @Override
        public String @Nullable [] getClientAliases(@Nullable String keyType, Principal @Nullable [] issuers) {
            return aliasFor(keyType) == null ? null : new String[] {ALIAS};
        }

        @Override
        public @Nullable String chooseClientAlias(
                String @Nullable [] keyTypes, Principal @Nullable [] issuers, @Nullable Socket socket) {
            return aliasFor(keyTypes);
        }

        @Override
        public @Nullable String chooseEngineClientAlias(
                String @Nullable [] keyTypes, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
            return aliasFor(keyTypes);
        }

        @Override
        public String @Nullable [] getServerAliases(@Nullable String keyType, Principal @Nullable [] issuers) {
            return aliasFor(keyType) == null ? null : new String[] {ALIAS};
        }

        @Override
        public @Nullable String chooseServerAlias(
                @Nullable String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
            return aliasFor(keyType);
        }

        @Override
        public @Nullable String chooseEngineServerAlias(
                @Nullable String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
            return aliasFor(keyType);
        }

        @Override
        public X509Certificate @Nullable [] getCertificateChain(@Nullable String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }

        @Override
        public @Nullable PrivateKey getPrivateKey(@Nullable String alias) {
            return ALIAS.equals(alias) ? key : null;
        }
    }
}
