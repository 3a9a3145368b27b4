package dev.palisade.certs.ca;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.SpiffeId;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A PKCS#10 certificate signing request (RFC 2986) for an X.509-SVID.
 *
 * <p>The requester generates and keeps its key and sends only this request: the SPIFFE ID travels as
 * the one URI SAN of the {@code extensionRequest} attribute (RFC 2985 §5.4.2). {@link #verify}
 * is what a CA runs before it signs: self-signature, exactly one URI SAN, a valid workload SPIFFE ID
 * equal to the one the caller proved, and an accepted key. Any other requested extension is
 * ignored: the CA alone decides what an SVID contains.
 */
public final class CertificateSigningRequest {
    private final PKCS10CertificationRequest request;

    private CertificateSigningRequest(PKCS10CertificationRequest request) {
        this.request = request;
    }

    /** Builds and signs a request for {@code id} with {@code keys}. */
    public static CertificateSigningRequest create(KeyPair keys, SpiffeId id) {
        requireNonNull(keys, "keys");
        requireNonNull(id, "id");
        KeyAlgorithm algorithm = KeyAlgorithm.of(keys.getPublic())
                .orElseThrow(() -> new IllegalArgumentException(
                        "keys: unsupported key " + keys.getPublic().getAlgorithm()));
        try {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(
                    Extension.subjectAlternativeName,
                    false,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())));
            PKCS10CertificationRequest request = new JcaPKCS10CertificationRequestBuilder(
                            new X500Name("O=Palisade"), keys.getPublic())
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                    .build(new JcaContentSignerBuilder(algorithm.signatureAlgorithm()).build(keys.getPrivate()));
            return new CertificateSigningRequest(request);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot sign CSR", e);
        }
    }

    /** Parses a DER-encoded request. */
    public static CertificateSigningRequest parse(byte[] der) throws CsrException {
        requireNonNull(der, "der");
        try {
            return new CertificateSigningRequest(new PKCS10CertificationRequest(der));
        } catch (IOException | RuntimeException e) {
            throw new CsrException(CsrException.Reason.MALFORMED, "not a DER PKCS#10 request: " + e.getMessage(), e);
        }
    }

    /** Parses a PEM {@code CERTIFICATE REQUEST} block. */
    public static CertificateSigningRequest parsePem(String pem) throws CsrException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o = parser.readObject();
            if (o instanceof PKCS10CertificationRequest request) {
                return new CertificateSigningRequest(request);
            }
            throw new CsrException(
                    CsrException.Reason.MALFORMED,
                    o == null
                            ? "no PEM CERTIFICATE REQUEST block"
                            : "expected a CERTIFICATE REQUEST, found "
                                    + o.getClass().getSimpleName());
        } catch (IOException | RuntimeException e) {
            throw new CsrException(CsrException.Reason.MALFORMED, "malformed PEM: " + e.getMessage(), e);
        }
    }

    /** The DER encoding. */
    public byte[] encoded() {
        try {
            return request.getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The PEM encoding. */
    public String toPem() {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(request);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * Checks the request (signature, one URI SAN, valid SPIFFE ID, accepted key) and returns its
     * SPIFFE ID, without comparing it with any entitlement.
     */
    public SpiffeId verify() throws CsrException {
        PublicKey key = publicKeyUnchecked();
        if (KeyAlgorithm.of(key).isEmpty()) {
            throw new CsrException(
                    CsrException.Reason.KEY_NOT_ALLOWED,
                    "key " + describe(key)
                            + " is not accepted (expected ECDSA P-256 or P-384, or RSA 2048, 3072 or 4096 bits)");
        }
        try {
            ContentVerifierProvider verifier = new JcaContentVerifierProviderBuilder().build(key);
            if (!request.isSignatureValid(verifier)) {
                throw new CsrException(CsrException.Reason.BAD_SIGNATURE, "the request's signature does not verify");
            }
        } catch (OperatorCreationException | PKCSException e) {
            throw new CsrException(
                    CsrException.Reason.BAD_SIGNATURE, "the request's signature does not verify: " + e.getMessage(), e);
        }
        List<byte[]> uris = uriSans();
        if (uris.isEmpty()) {
            throw new CsrException(CsrException.Reason.NO_URI_SAN, "the request has no URI SAN");
        }
        if (uris.size() > 1) {
            throw new CsrException(
                    CsrException.Reason.MULTIPLE_URI_SANS,
                    "the request has " + uris.size() + " URI SANs (expected exactly one)");
        }
        byte[] uri = uris.get(0);
        for (byte b : uri) {
            if (b < 0x21 || b > 0x7e) {
                throw new CsrException(
                        CsrException.Reason.INVALID_SPIFFE_ID,
                        String.format(Locale.ROOT, "the URI SAN contains the byte 0x%02x", b & 0xff));
            }
        }
        try {
            return SpiffeId.parse(new String(uri, StandardCharsets.US_ASCII));
        } catch (InvalidSpiffeIdException e) {
            throw new CsrException(CsrException.Reason.INVALID_SPIFFE_ID, "the URI SAN: " + e.getMessage(), e);
        }
    }

    /**
     * {@link #verify()}, then checks that the requested ID is exactly {@code entitled}.
     *
     * @throws CsrException with {@link CsrException.Reason#ID_MISMATCH} when it is another ID
     */
    public SpiffeId verifyFor(SpiffeId entitled) throws CsrException {
        requireNonNull(entitled, "entitled");
        SpiffeId requested = verify();
        if (!requested.equals(entitled)) {
            throw new CsrException(
                    CsrException.Reason.ID_MISMATCH,
                    "the request asks for " + requested + ", but the credential proves " + entitled);
        }
        return requested;
    }

    /** The requester's public key (only meaningful once {@link #verify()} passed). */
    public PublicKey publicKey() throws CsrException {
        return publicKeyUnchecked();
    }

    private PublicKey publicKeyUnchecked() throws CsrException {
        try {
            return new JcaPKCS10CertificationRequest(request).getPublicKey();
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            throw new CsrException(CsrException.Reason.MALFORMED, "the request's public key does not parse", e);
        }
    }

    private List<byte[]> uriSans() throws CsrException {
        List<byte[]> uris = new ArrayList<>();
        try {
            for (Attribute attribute : request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
                for (var value : attribute.getAttrValues()) {
                    Extensions extensions = Extensions.getInstance(value);
                    Extension san = extensions.getExtension(Extension.subjectAlternativeName);
                    if (san == null) {
                        continue;
                    }
                    for (GeneralName name :
                            GeneralNames.getInstance(san.getParsedValue()).getNames()) {
                        if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
                            uris.add(ASN1IA5String.getInstance(name.getName()).getOctets());
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            throw new CsrException(CsrException.Reason.MALFORMED, "the requested extensions do not parse", e);
        }
        return uris;
    }

    private static String describe(PublicKey key) {
        if (key instanceof java.security.interfaces.RSAPublicKey rsa) {
            return "RSA " + rsa.getModulus().bitLength() + " bits";
        }
        if (key instanceof java.security.interfaces.ECPublicKey ec) {
            return "EC " + ec.getParams().getCurve().getField().getFieldSize() + " bits";
        }
        return key.getAlgorithm();
    }
}
