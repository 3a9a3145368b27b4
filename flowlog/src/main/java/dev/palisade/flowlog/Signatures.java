package dev.palisade.flowlog;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;

/**
 * The signature algorithm of a checkpoint follows from the signing certificate's key, never from a field a forger
 * could choose: ECDSA with SHA-256 for P-256 (SHA-384 for P-384), RSA PKCS#1 v1.5 with SHA-256, Ed25519.
 */
final class Signatures {
    private Signatures() {}

    static String algorithmFor(PublicKey key) throws GeneralSecurityException {
        if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            if (bits == 256) {
                return "SHA256withECDSA";
            }
            if (bits == 384) {
                return "SHA384withECDSA";
            }
            throw new GeneralSecurityException("unsupported EC key of " + bits + " bits (expected: P-256 or P-384)");
        }
        if (key instanceof RSAPublicKey) {
            return "SHA256withRSA";
        }
        if (key.getAlgorithm().equals("Ed25519") || key.getAlgorithm().equals("EdDSA")) {
            return "Ed25519";
        }
        throw new GeneralSecurityException("unsupported key algorithm " + key.getAlgorithm());
    }

    static byte[] sign(PrivateKey key, PublicKey certified, byte[] payload) throws GeneralSecurityException {
        java.security.Signature signature = java.security.Signature.getInstance(algorithmFor(certified));
        signature.initSign(key);
        signature.update(payload);
        return signature.sign();
    }

    static boolean verify(PublicKey key, byte[] payload, byte[] value) throws GeneralSecurityException {
        java.security.Signature signature = java.security.Signature.getInstance(algorithmFor(key));
        signature.initVerify(key);
        signature.update(payload);
        try {
            return signature.verify(value);
        } catch (java.security.SignatureException e) {
            return false; // a malformed DER signature is a bad signature, not an error of the verifier
        }
    }
}
