package dev.palisade.testkit.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;

/** Key algorithms the fixture can mint, with the signature algorithm each signs with. */
public enum KeyType {
    EC_P256("SHA256withECDSA"),
    EC_P384("SHA384withECDSA"),
    /** A 256-bit curve that is not P-256 (Bitcoin's): for tests that curves are told apart by more than size. */
    EC_SECP256K1("SHA256withECDSA"),
    RSA_1024("SHA256withRSA"),
    RSA_2048("SHA256withRSA");

    private final String signatureAlgorithm;

    KeyType(String signatureAlgorithm) {
        this.signatureAlgorithm = signatureAlgorithm;
    }

    /** The JCA signature algorithm used when a key of this type signs a certificate. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    /** Generates a fresh key pair of this type. */
    public KeyPair generate() {
        try {
            KeyPairGenerator generator;
            switch (this) {
                case EC_P256 -> {
                    generator = KeyPairGenerator.getInstance("EC");
                    generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
                }
                case EC_P384 -> {
                    generator = KeyPairGenerator.getInstance("EC");
                    generator.initialize(new ECGenParameterSpec("secp384r1"), new SecureRandom());
                }
                case EC_SECP256K1 -> {
                    // The JDK dropped secp256k1; Bouncy Castle still has it.
                    generator = KeyPairGenerator.getInstance(
                            "EC", new org.bouncycastle.jce.provider.BouncyCastleProvider());
                    generator.initialize(new ECGenParameterSpec("secp256k1"), new SecureRandom());
                }
                case RSA_1024 -> {
                    generator = KeyPairGenerator.getInstance("RSA");
                    generator.initialize(1024, new SecureRandom());
                }
                default -> {
                    generator = KeyPairGenerator.getInstance("RSA");
                    generator.initialize(2048, new SecureRandom());
                }
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + this + " key", e);
        }
    }
}
