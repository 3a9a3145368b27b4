package dev.palisade.certs.pem;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.jspecify.annotations.Nullable;

/**
 * Reads and writes PEM-encoded certificates and private keys.
 *
 * <p>Readers are strict: every block in a certificate file must be a {@code CERTIFICATE}, a key file
 * must hold exactly one unencrypted private key ({@code PRIVATE KEY}, {@code EC PRIVATE KEY} or
 * {@code RSA PRIVATE KEY}), and text outside blocks is ignored as RFC 7468 §2 allows. Each
 * {@code source} argument names the input (usually a file path) in error messages.
 */
public final class Pem {
    private static final SecureRandom random = new SecureRandom();

    private Pem() {}

    /** Reads one or more certificates, in order (a chain: leaf first). */
    public static List<X509Certificate> readCertificates(String pem, String source) {
        requireNonNull(pem, "pem");
        List<X509Certificate> out = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            for (Object o; (o = readObject(parser, source)) != null; ) {
                if (!(o instanceof X509CertificateHolder holder)) {
                    throw new PemException(
                            source,
                            "expected CERTIFICATE blocks, found " + describe(o) + " (block " + (out.size() + 1) + ")");
                }
                try {
                    out.add(converter.getCertificate(holder));
                } catch (CertificateException e) {
                    throw new PemException(source, "certificate " + (out.size() + 1) + " does not parse", e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.isEmpty()) {
            throw new PemException(source, "no PEM CERTIFICATE block found");
        }
        return List.copyOf(out);
    }

    /** Reads the certificates of a file. */
    public static List<X509Certificate> readCertificates(Path file) {
        return readCertificates(readFile(file), file.toString());
    }

    /** Reads exactly one unencrypted private key. */
    public static PrivateKey readPrivateKey(String pem, String source) {
        requireNonNull(pem, "pem");
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        PrivateKey key = null;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            for (Object o; (o = readObject(parser, source)) != null; ) {
                if (key != null) {
                    throw new PemException(source, "expected one private key, found a second block: " + describe(o));
                }
                try {
                    if (o instanceof PrivateKeyInfo info) {
                        key = converter.getPrivateKey(info);
                    } else if (o instanceof PEMKeyPair pair) {
                        key = converter.getKeyPair(pair).getPrivate();
                    } else if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                        throw new PemException(source, "the private key is encrypted; supply an unencrypted key");
                    } else {
                        throw new PemException(source, "expected a PRIVATE KEY block, found " + describe(o));
                    }
                } catch (IOException e) {
                    throw new PemException(source, "the private key does not parse: " + e.getMessage(), e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (key == null) {
            throw new PemException(source, "no PEM PRIVATE KEY block found");
        }
        return key;
    }

    /** Reads the private key of a file. */
    public static PrivateKey readPrivateKey(Path file) {
        return readPrivateKey(readFile(file), file.toString());
    }

    /** Encodes certificates as consecutive {@code CERTIFICATE} blocks. */
    public static String writeCertificates(List<X509Certificate> certificates) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (X509Certificate c : certificates) {
                writer.writeObject(c);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Encodes a private key as an unencrypted PKCS#8 {@code PRIVATE KEY} block. */
    public static String writePrivateKey(PrivateKey key) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS8Generator(key, null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * Writes a private key file readable by its owner only (mode 0600 where the file system has
     * POSIX permissions). The file is created with those permissions before any key byte is written,
     * then moved into place, so the key is never readable by others, even for a moment.
     */
    public static void writePrivateKey(Path file, PrivateKey key) {
        writeSecret(file, writePrivateKey(key));
    }

    /** Writes a public file (certificates, bundles) atomically. */
    public static void writeCertificates(Path file, List<X509Certificate> certificates) {
        writePublic(file, writeCertificates(certificates));
    }

    static void writeSecret(Path file, String content) {
        try {
            Path dir = requireNonNull(file.toAbsolutePath().getParent(), "file has no parent directory");
            Files.createDirectories(dir);
            Path tmp = dir.resolve("." + file.getFileName() + ".tmp" + Long.toHexString(random.nextLong()));
            try {
                Files.createFile(
                        tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
            Files.writeString(tmp, content, StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static void writePublic(Path file, String content) {
        try {
            Path dir = requireNonNull(file.toAbsolutePath().getParent(), "file has no parent directory");
            Files.createDirectories(dir);
            Path tmp = dir.resolve("." + file.getFileName() + ".tmp" + Long.toHexString(random.nextLong()));
            Files.writeString(tmp, content, StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks that {@code privateKey} is the private half of {@code publicKey} by signing a random
     * challenge and verifying it.
     *
     * @throws PemException naming {@code source} when they do not match
     */
    public static void verifyKeyMatches(PrivateKey privateKey, PublicKey publicKey, String source) {
        if (!privateKey.getAlgorithm().equals(publicKey.getAlgorithm())) {
            throw new PemException(
                    source,
                    "the private key (" + privateKey.getAlgorithm() + ") does not match the certificate's public key ("
                            + publicKey.getAlgorithm() + ")");
        }
        String algorithm =
                switch (publicKey.getAlgorithm()) {
                    case "EC" -> "SHA256withECDSA";
                    case "RSA" -> "SHA256withRSA";
                    case "Ed25519" -> "Ed25519";
                    default -> throw new PemException(source, "unsupported key algorithm " + publicKey.getAlgorithm());
                };
        if (privateKey instanceof ECKey a
                && publicKey instanceof ECKey b
                && !a.getParams().getCurve().equals(b.getParams().getCurve())) {
            throw new PemException(source, "the private key does not match the certificate (different EC curves)");
        }
        if (privateKey instanceof RSAKey a
                && publicKey instanceof RSAKey b
                && !a.getModulus().equals(b.getModulus())) {
            throw new PemException(source, "the private key does not match the certificate (different RSA modulus)");
        }
        try {
            byte[] challenge = new byte[32];
            random.nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            if (!verifier.verify(signature)) {
                throw new PemException(source, "the private key does not match the certificate's public key");
            }
        } catch (GeneralSecurityException e) {
            throw new PemException(source, "the private key does not match the certificate's public key", e);
        }
    }

    /** Reads a whole text file, naming the file in the error. */
    public static String readFile(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new PemException(file.toString(), "no such file");
        } catch (IOException e) {
            throw new PemException(file.toString(), "cannot read: " + e.getMessage(), e);
        }
    }

    private static @Nullable Object readObject(PEMParser parser, String source) {
        try {
            return parser.readObject();
        } catch (IOException | RuntimeException e) {
            String message = String.valueOf(e.getMessage());
            if (message.toLowerCase(Locale.ROOT).contains("not found")) {
                throw new PemException(source, "truncated PEM: " + message, e);
            }
            throw new PemException(source, "malformed PEM: " + message, e);
        }
    }

    private static String describe(Object o) {
        if (o instanceof X509CertificateHolder) {
            return "a CERTIFICATE";
        }
        if (o instanceof PrivateKeyInfo || o instanceof PEMKeyPair) {
            return "a PRIVATE KEY";
        }
        if (o instanceof org.bouncycastle.pkcs.PKCS10CertificationRequest) {
            return "a CERTIFICATE REQUEST";
        }
        if (o instanceof org.bouncycastle.asn1.x509.SubjectPublicKeyInfo) {
            return "a PUBLIC KEY";
        }
        return "a " + o.getClass().getSimpleName();
    }
}
