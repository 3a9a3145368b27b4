package dev.palisade.controlplane.identity;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Local mode's credentials: a file of bootstrap tokens, each granting one workload identity.
 *
 * <pre>
 * # token                             namespace   service-account
 * 6f1c0c2e9a5b4d0f8e7a6b5c4d3e2f10    shop        orders
 * </pre>
 *
 * <p>One entry per line, fields separated by white space, {@code #} starts a comment. Tokens must be at least 16
 * characters. Only SHA-256 digests of the tokens are kept in memory, and a presented token is compared with every
 * entry in constant time, so neither timing nor a heap dump gives a token away.
 */
public final class BootstrapTokens implements CredentialVerifier {
    static final int MIN_TOKEN_LENGTH = 16;

    private record Entry(byte[] digest, SpiffeId id, int line) {}

    private final List<Entry> entries;

    private BootstrapTokens(List<Entry> entries) {
        this.entries = entries;
    }

    /**
     * Parses a token file.
     *
     * @throws IllegalArgumentException naming the file, the line and the problem
     */
    public static BootstrapTokens parse(String content, String source, TrustDomain trustDomain) {
        requireNonNull(content, "content");
        requireNonNull(trustDomain, "trustDomain");
        List<Entry> entries = new ArrayList<>();
        Set<String> digests = new HashSet<>();
        String[] lines = content.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = source + ":" + (i + 1);
            String[] fields = line.split("\\s+");
            if (fields.length != 3) {
                throw new IllegalArgumentException(
                        where + ": expected 'token namespace service-account', found " + fields.length + " field(s)");
            }
            if (fields[0].length() < MIN_TOKEN_LENGTH) {
                throw new IllegalArgumentException(
                        where + ": token is shorter than " + MIN_TOKEN_LENGTH + " characters");
            }
            SpiffeId id;
            try {
                id = SpiffeId.forWorkload(trustDomain, fields[1], fields[2]);
            } catch (InvalidSpiffeIdException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
            byte[] digest = sha256(fields[0]);
            if (!digests.add(HexFormat.of().formatHex(digest))) {
                throw new IllegalArgumentException(where + ": the same token appears twice");
            }
            entries.add(new Entry(digest, id, i + 1));
        }
        return new BootstrapTokens(List.copyOf(entries));
    }

    /** Reads a token file. */
    public static BootstrapTokens read(Path file, TrustDomain trustDomain) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString(), trustDomain);
    }

    /** How many tokens the file grants. */
    public int size() {
        return entries.size();
    }

    @Override
    public Entitlement verify(String credential) throws CredentialException {
        if (credential == null || credential.isEmpty()) {
            throw new CredentialException("no credential");
        }
        byte[] presented = sha256(credential);
        Entry match = null;
        for (Entry e : entries) {
            // No early exit: every entry is compared, whether or not one already matched.
            if (MessageDigest.isEqual(e.digest, presented) && match == null) {
                match = e;
            }
        }
        if (match == null) {
            throw new CredentialException("unknown bootstrap token");
        }
        return new Entitlement(match.id, "bootstrap-token@line" + match.line);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
