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
