package dev.palisade.certs.identity;

import com.google.protobuf.ByteString;
import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.TrustDomain;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** Conversions between the identity service's messages and {@code certs} types. */
public final class IdentityMessages {
    private IdentityMessages() {}

    /** DER encodings of {@code certificates}, in order. */
    public static List<ByteString> encode(List<X509Certificate> certificates) {
        List<ByteString> out = new ArrayList<>(certificates.size());
        for (X509Certificate c : certificates) {
            try {
                out.add(ByteString.copyFrom(c.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IllegalArgumentException("cannot encode " + c.getSubjectX500Principal(), e);
            }
        }
        return out;
    }

    /**
     * Parses DER certificates.
     *
     * @throws CertificateException naming {@code what} and the index of the certificate that does not parse
     */
    public static List<X509Certificate> decode(List<ByteString> der, String what) throws CertificateException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>(der.size());
        for (int i = 0; i < der.size(); i++) {
            try {
                out.add((X509Certificate) factory.generateCertificate(
                        new ByteArrayInputStream(der.get(i).toByteArray())));
            } catch (CertificateException | ClassCastException e) {
                throw new CertificateException(what + "[" + i + "] is not a DER X.509 certificate", e);
            }
        }
        return List.copyOf(out);
    }

    /** The wire form of a bundle set. */
    public static List<dev.palisade.certs.v1.TrustBundle> encode(TrustBundleSet bundles) {
        List<dev.palisade.certs.v1.TrustBundle> out = new ArrayList<>();
        for (TrustBundle bundle : bundles.bundles()) {
            out.add(dev.palisade.certs.v1.TrustBundle.newBuilder()
                    .setTrustDomain(bundle.trustDomain().name())
                    .addAllRoots(encode(bundle.roots()))
                    .build());
        }
        return out;
    }

    /**
     * Parses the wire form of a bundle set.
     *
     * @throws CertificateException naming the trust domain or root that is wrong
     */
    public static TrustBundleSet decode(List<dev.palisade.certs.v1.TrustBundle> bundles) throws CertificateException {
        List<TrustBundle> out = new ArrayList<>();
        for (dev.palisade.certs.v1.TrustBundle b : bundles) {
            TrustDomain td;
            try {
                td = TrustDomain.parse(b.getTrustDomain());
            } catch (InvalidSpiffeIdException e) {
                throw new CertificateException("trust_bundles: " + e.getMessage(), e);
            }
            try {
                out.add(TrustBundle.of(td, decode(b.getRootsList(), "trust_bundles[" + td + "].roots")));
            } catch (IllegalArgumentException e) {
                throw new CertificateException("trust_bundles[" + td + "]: " + e.getMessage(), e);
            }
        }
        try {
            return TrustBundleSet.of(out);
        } catch (IllegalArgumentException e) {
            throw new CertificateException("trust_bundles: " + e.getMessage(), e);
        }
    }
}
