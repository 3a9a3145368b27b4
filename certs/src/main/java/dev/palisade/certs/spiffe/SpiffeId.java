package dev.palisade.certs.spiffe;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A SPIFFE ID, {@code spiffe://<trust-domain>/<path>}, validated per SPIFFE-ID.md §2.
 *
 * <p>Parsing is strict and never normalises: an ID is accepted only if it is already in the one
 * canonical form the specification allows (lower-case scheme and trust domain, no empty, {@code .}
 * or {@code ..} segments, no trailing slash, no percent-encoding, query, fragment, port or user
 * info). That way two IDs are equal exactly when their strings are equal, which is what policy
 * matching relies on.
 *
 * <p>Palisade's workload IDs have the Kubernetes shape {@code spiffe://<td>/ns/<ns>/sa/<sa>}
 * ({@link #forWorkload}); {@link #namespace()} and {@link #serviceAccount()} read it back.
 */
public final class SpiffeId {
    static final String SCHEME_PREFIX = "spiffe://";
    static final int MAX_LENGTH = 2048;

    private final TrustDomain trustDomain;
    private final String path;
    private final String string;

    private SpiffeId(TrustDomain trustDomain, String path) {
        this.trustDomain = trustDomain;
        this.path = path;
        this.string = SCHEME_PREFIX + trustDomain.name() + path;
    }

    /**
     * Parses a workload SPIFFE ID: a valid SPIFFE ID with a non-empty path.
     *
     * @throws InvalidSpiffeIdException naming the broken rule
     */
    public static SpiffeId parse(String id) {
        SpiffeId parsed = parseAny(id);
        if (parsed.path.isEmpty()) {
            throw new InvalidSpiffeIdException(SpiffeIdRule.PATH_REQUIRED, id);
        }
        return parsed;
    }

    /**
     * Parses any SPIFFE ID, including the ID of a trust domain ({@code spiffe://example.org}) whose
     * path is empty.
     *
     * @throws InvalidSpiffeIdException naming the broken rule
     */
    public static SpiffeId parseAny(String id) {
        requireNonNull(id, "id");
        if (id.isEmpty()) {
            throw new InvalidSpiffeIdException(SpiffeIdRule.EMPTY, id);
        }
        if (id.getBytes(StandardCharsets.UTF_8).length > MAX_LENGTH) {
            throw new InvalidSpiffeIdException(SpiffeIdRule.TOO_LONG, id);
        }
        if (!id.startsWith(SCHEME_PREFIX)) {
            throw new InvalidSpiffeIdException(SpiffeIdRule.SCHEME, id);
        }
        String rest = id.substring(SCHEME_PREFIX.length());
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash);
        TrustDomain td = TrustDomain.ofValidated(TrustDomain.validateName(authority, id));
        validatePath(path, id);
        return new SpiffeId(td, path);
    }

    /**
     * The SPIFFE ID {@code spiffe://<td><path>}.
     *
     * @param path empty, or a path starting with {@code /} that obeys SPIFFE-ID.md §2.2
     * @throws InvalidSpiffeIdException naming the broken rule
     */
    public static SpiffeId of(TrustDomain trustDomain, String path) {
        requireNonNull(trustDomain, "trustDomain");
        requireNonNull(path, "path");
        String whole = SCHEME_PREFIX + trustDomain.name() + path;
        if (!path.isEmpty() && !path.startsWith("/")) {
            throw new InvalidSpiffeIdException(SpiffeIdRule.PATH_CHARACTERS, whole);
        }
        validatePath(path, whole);
        if (whole.getBytes(StandardCharsets.UTF_8).length > MAX_LENGTH) {
            throw new InvalidSpiffeIdException(SpiffeIdRule.TOO_LONG, whole);
        }
        return new SpiffeId(trustDomain, path);
    }

    /** The Kubernetes workload ID {@code spiffe://<td>/ns/<namespace>/sa/<serviceAccount>}. */
    public static SpiffeId forWorkload(TrustDomain trustDomain, String namespace, String serviceAccount) {
        requireNonNull(namespace, "namespace");
        requireNonNull(serviceAccount, "serviceAccount");
        String path = "/ns/" + namespace + "/sa/" + serviceAccount;
        if (namespace.indexOf('/') >= 0 || serviceAccount.indexOf('/') >= 0) {
            // Each must be one segment, or "a/sa/b" as a namespace would forge another workload's ID.
            throw new InvalidSpiffeIdException(SpiffeIdRule.PATH_CHARACTERS, SCHEME_PREFIX + trustDomain.name() + path);
        }
        return of(trustDomain, path);
    }

    private static void validatePath(String path, String input) {
        if (path.isEmpty()) {
            return;
        }
        // path starts with '/': each segment runs from after one '/' to before the next.
        int start = 1;
        while (true) {
            int end = path.indexOf('/', start);
            int segEnd = end < 0 ? path.length() : end;
            if (segEnd == start) {
                throw new InvalidSpiffeIdException(
                        end < 0 ? SpiffeIdRule.PATH_TRAILING_SLASH : SpiffeIdRule.PATH_EMPTY_SEGMENT, input);
            }
            for (int i = start; i < segEnd; i++) {
                char c = path.charAt(i);
                if (!isSegmentChar(c)) {
                    throw new InvalidSpiffeIdException(ruleForPathChar(c), input);
                }
            }
            int len = segEnd - start;
            if ((len == 1 && path.charAt(start) == '.')
                    || (len == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.')) {
                throw new InvalidSpiffeIdException(SpiffeIdRule.PATH_DOT_SEGMENT, input);
            }
            if (end < 0) {
                return;
            }
            start = end + 1;
        }
    }

    private static boolean isSegmentChar(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '.'
                || c == '-'
                || c == '_';
    }

    private static SpiffeIdRule ruleForPathChar(char c) {
        return switch (c) {
            case '%' -> SpiffeIdRule.PERCENT_ENCODING;
            case '?' -> SpiffeIdRule.QUERY;
            case '#' -> SpiffeIdRule.FRAGMENT;
            case '@' -> SpiffeIdRule.USER_INFO;
            default -> SpiffeIdRule.PATH_CHARACTERS;
        };
    }

    public TrustDomain trustDomain() {
        return trustDomain;
    }

    /** The path, starting with {@code /}, or empty for the ID of a trust domain. */
    public String path() {
        return path;
    }

    /** Whether this ID belongs to {@code trustDomain}. */
    public boolean isMemberOf(TrustDomain trustDomain) {
        return this.trustDomain.equals(trustDomain);
    }

    /** The namespace of a {@code /ns/<ns>/sa/<sa>} ID, or empty for any other path shape. */
    public Optional<String> namespace() {
        String[] segments = kubernetesSegments();
        return segments == null ? Optional.empty() : Optional.of(segments[2]);
    }

    /** The service account of a {@code /ns/<ns>/sa/<sa>} ID, or empty for any other path shape. */
    public Optional<String> serviceAccount() {
        String[] segments = kubernetesSegments();
        return segments == null ? Optional.empty() : Optional.of(segments[4]);
    }

    private String @Nullable [] kubernetesSegments() {
        String[] segments = path.split("/", -1);
        if (segments.length == 5 && segments[1].equals("ns") && segments[3].equals("sa")) {
            return segments;
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpiffeId other && string.equals(other.string);
    }

    @Override
    public int hashCode() {
        return string.hashCode();
    }

    /** The ID as a URI string, {@code spiffe://<td><path>}. */
    @Override
    public String toString() {
        return string;
    }
}
