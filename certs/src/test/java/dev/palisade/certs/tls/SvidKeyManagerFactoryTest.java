package dev.palisade.certs.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.CertificateSigningRequest;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.x509.X509Svid;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.SslProvider;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.Test;

class SvidKeyManagerFactoryTest {
    static final TrustDomain TD = TrustDomain.parse("example.org");
    static final SpiffeId ID = SpiffeId.forWorkload(TD, "shop", "orders");
    static final CertificateAuthority ca =
            CertificateAuthority.createRoot(TD, KeyAlgorithm.EC_P256, Duration.ofDays(2), Clock.systemUTC());

    static X509Svid svid() throws Exception {
        KeyPair keys = KeyAlgorithm.EC_P256.generate();
        return X509Svid.of(
                ca.sign(CertificateSigningRequest.create(keys, ID), ID, Duration.ofHours(1)), keys.getPrivate());
    }

    private static X509ExtendedKeyManager manager(KeyManagerFactory factory) {
        return (X509ExtendedKeyManager) factory.getKeyManagers()[0];
    }

    @Test
    void offersNoAliasForAKeyTypeTheKeyCannotServe() throws Exception {
        X509ExtendedKeyManager m = manager(SvidKeyManagerFactory.of(svid(), SslProvider.JDK));
        assertThat(m.chooseEngineServerAlias("RSA", null, null)).isNull();
        assertThat(m.chooseEngineServerAlias("DH_RSA", null, null)).isNull();
        assertThat(m.chooseEngineServerAlias("ECDH", null, null))
                .as("a prefix that is not EC_")
                .isNull();
        assertThat(m.chooseEngineServerAlias(null, null, null)).isNull();
        assertThat(m.chooseEngineClientAlias(new String[] {"RSA", "DSA"}, null, null))
                .isNull();
        assertThat(m.chooseEngineClientAlias(null, null, null)).isNull();
        assertThat(m.getServerAliases("RSA", null)).isNull();
        assertThat(m.getPrivateKey("other")).isNull();
        assertThat(m.getPrivateKey(null)).isNull();
        assertThat(m.getCertificateChain("other")).isNull();
    }

    @Test
    void offersTheSvidForEcKeyTypes() throws Exception {
        X509Svid svid = svid();
        X509ExtendedKeyManager m = manager(SvidKeyManagerFactory.of(svid, SslProvider.JDK));
        for (String type : new String[] {"EC", "EC_EC", "EC_RSA"}) {
            assertThat(m.chooseEngineServerAlias(type, null, null)).as(type).isEqualTo(SvidKeyManagerFactory.ALIAS);
        }
        assertThat(m.chooseEngineClientAlias(new String[] {"RSA", "EC"}, null, null))
                .isEqualTo(SvidKeyManagerFactory.ALIAS);
        assertThat(m.chooseClientAlias(new String[] {"EC"}, null, null)).isEqualTo(SvidKeyManagerFactory.ALIAS);
        assertThat(m.getPrivateKey(SvidKeyManagerFactory.ALIAS)).isSameAs(svid.privateKey());
        assertThat(m.getCertificateChain(SvidKeyManagerFactory.ALIAS)).containsExactlyElementsOf(svid.chain());
    }

    @Test
    void theChainHandedOutIsACopy() throws Exception {
        X509Svid svid = svid();
        X509ExtendedKeyManager m = manager(SvidKeyManagerFactory.of(svid, SslProvider.JDK));
        m.getCertificateChain(SvidKeyManagerFactory.ALIAS)[0] = null;
        assertThat(m.getCertificateChain(SvidKeyManagerFactory.ALIAS)[0])
                .isEqualTo(svid.chain().get(0));
    }

    @Test
    void boringSslGetsTheCachingFactoryTheJdkThePlainOne() throws Exception {
        X509Svid svid = svid();
        assertThat(SvidKeyManagerFactory.of(svid, SslProvider.OPENSSL))
                .isInstanceOf(OpenSslCachingX509KeyManagerFactory.class);
        assertThat(SvidKeyManagerFactory.of(svid, SslProvider.JDK)).isInstanceOf(SvidKeyManagerFactory.class);
        KeyManagerFactory jdk = SvidKeyManagerFactory.of(svid, SslProvider.JDK);
        jdk.init(null, null); // an init by a library is harmless: nothing is loaded
        assertThat(manager(jdk).getPrivateKey(SvidKeyManagerFactory.ALIAS)).isSameAs(svid.privateKey());
    }
}
