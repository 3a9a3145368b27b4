package dev.palisade.proxy.inbound;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.tls.TlsProvider;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.testkit.pki.TestCertificate;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

/** The mesh of the inbound tests: one trust domain, its root, the server's SVID and the peers' certificates. */
final class TestPki {

    static final TrustDomain TRUST_DOMAIN = TrustDomain.parse("cluster.local");
    static final String PAYMENTS = "spiffe://cluster.local/ns/shop/sa/payments";
    static final String CHECKOUT = "spiffe://cluster.local/ns/shop/sa/checkout";
    static final String ORDERS = "spiffe://cluster.local/ns/shop/sa/orders";

    static final TestCertificate ROOT = TestCertificate.root("cluster.local root");
    static final TestCertificate STRANGER = TestCertificate.root("stranger root");
    static final TrustBundleSet BUNDLES = TrustBundleSet.of(TrustBundle.of(TRUST_DOMAIN, List.of(ROOT.certificate())));

    static final TestCertificate SERVER = TestCertificate.leaf(PAYMENTS, ROOT);
    static final TestCertificate CLIENT = TestCertificate.leaf(CHECKOUT, ROOT);
    static final TestCertificate OTHER_CLIENT = TestCertificate.leaf(ORDERS, ROOT);

    private TestPki() {}

    static X509Svid svid(TestCertificate leaf) {
        return X509Svid.of(leaf.chain(), leaf.privateKey());
    }

    /** The sidecar's server context: mTLS, client SVID required, ALPN h2 and http/1.1. */
    static SslContext serverContext(TlsProvider provider) {
        try {
            return SpiffeSslContexts.forServer(
                    svid(SERVER),
                    BUNDLES,
                    TlsOptions.defaults()
                            .withProvider(provider)
                            .withAlpn(List.of(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A JDK client context presenting {@code leaf} and verifying the server as a member of the trust domain. */
    static SSLContext clientContext(TestCertificate leaf) {
        try {
            SslContext netty = SpiffeSslContexts.forClient(
                    svid(leaf),
                    BUNDLES,
                    TlsOptions.defaults().withProvider(TlsProvider.JDK),
                    PeerAuthorizer.memberOf(TRUST_DOMAIN));
            return ((JdkSslContext) netty).context();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A client that presents {@code leaf} whatever the server asks for and trusts any server: the shape of a hostile
     * peer, for certificates no honest key manager would offer (expired, foreign). {@code null}: no certificate.
     */
    static SSLContext rawClientContext(TestCertificate leaf) {
        try {
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            KeyManager[] keys = leaf == null
                    ? new KeyManager[0]
                    : new KeyManager[] {new AlwaysPresent(leaf.privateKey(), leaf.chain())};
            context.init(keys, new TrustManager[] {new TrustAnything()}, new SecureRandom());
            return context;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A client with no certificate at all. */
    static SSLContext anonymousClientContext() {
        return rawClientContext(null);
    }

    private static final class AlwaysPresent extends X509ExtendedKeyManager {
        private final PrivateKey key;
        private final X509Certificate[] chain;

        AlwaysPresent(PrivateKey key, List<X509Certificate> chain) {
            this.key = key;
            this.chain = chain.toArray(new X509Certificate[0]);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {"peer"};
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return "peer";
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return "peer";
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return new String[0];
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return chain.clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return key;
        }
    }

    @SuppressWarnings("TrustAllCertificates")
    private static final class TrustAnything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
