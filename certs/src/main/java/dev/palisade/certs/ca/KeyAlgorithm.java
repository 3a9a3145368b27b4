package dev.palisade.certs.ca;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.Locale;
import java.util.Optional;

/**
 * The key algorithms Palisade generates and accepts: ECDSA P-256 (the default: small, fast, and what
 * every TLS stack supports), ECDSA P-384, and RSA with 2048 to 4096 bits for operators whose policy
 * requires it.
 */
public enum KeyAlgorithm {
    EC_P256("SHA256withECDSA"),
    EC_P384("SHA384withECDSA"),
    RSA_2048("SHA256withRSA"),
    RSA_3072("SHA256withRSA"),
    RSA_4096("SHA256withRSA");

    private final String signatureAlgorithm;

    KeyAlgorithm(String signatureAlgorithm) {
        this.signatureAlgorithm = signatureAlgorithm;
    }

    /** The JCA name of the signature algorithm that a key of this type signs certificates with. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    /** Generates a fresh key pair from a {@link SecureRandom}. */
    public KeyPair generate() {
        try {
            KeyPairGenerator generator;
            switch (this) {
                case EC_P256, EC_P384 -> {
                    generator = KeyPairGenerator.getInstance("EC");
                    generator.initialize(
                            new ECGenParameterSpec(this == EC_P256 ? "secp256r1" : "secp384r1"), new SecureRandom());
                }
                default -> {
                    generator = KeyPairGenerator.getInstance("RSA");
                    generator.initialize(Integer.parseInt(name().substring(4)), new SecureRandom());
                }
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + this + " key pair", e);
        }
    }

    /** The algorithm of {@code key}, if it is one Palisade accepts. */
    public static Optional<KeyAlgorithm> of(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            // Compare the whole curve, not its size: brainpoolP256r1 and secp256k1 are 256-bit curves too.
            if (sameCurve(ec.getParams(), P256)) {
                return Optional.of(EC_P256);
            }
            if (sameCurve(ec.getParams(), P384)) {
                return Optional.of(EC_P384);
            }
            return Optional.empty();
        }
        if (key instanceof RSAPublicKey rsa) {
            return switch (rsa.getModulus().bitLength()) {
                case 2048 -> Optional.of(RSA_2048);
                case 3072 -> Optional.of(RSA_3072);
                case 4096 -> Optional.of(RSA_4096);
                default -> Optional.empty();
            };
        }
        return Optional.empty();
    }

    private static final ECParameterSpec P256 = namedCurve("secp256r1");
    private static final ECParameterSpec P384 = namedCurve("secp384r1");

    private static ECParameterSpec namedCurve(String name) {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec(name));
            return parameters.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM lacks the EC curve " + name, e);
        }
    }

    private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a.getCurve().equals(b.getCurve())
                && a.getGenerator().equals(b.getGenerator())
                && a.getOrder().equals(b.getOrder())
                && a.getCofactor() == b.getCofactor();
    }

    /** Parses {@code ec-p256}, {@code EC_P256}, {@code rsa-2048} and the like. */
    public static KeyAlgorithm parse(String text) {
        String normalised = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (KeyAlgorithm a : values()) {
            if (a.name().equals(normalised)) {
                return a;
            }
        }
        throw new IllegalArgumentException(
                "key algorithm: '" + text + "' (expected one of ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096)");
    }

    /** The lower-case, dashed name used on the command line, such as {@code ec-p256}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
