package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The header a {@code HeaderMatcher} names, resolved against the {@link NormalizedRequest} when
 * the policies are compiled: {@code :method}, {@code :authority} (and {@code host}, which the
 * normaliser folds into it) and {@code :path} are the normalised request's single values, any
 * other name is a regular header field with zero or more values. Immutable.
 */
final class HeaderRef {

    /** Where the value comes from. */
    enum Kind {
        METHOD,
        AUTHORITY,
        PATH,
        FIELD
    }

    private final String name;
    private final Kind kind;

    private HeaderRef(String name, Kind kind) {
        this.name = name;
        this.kind = kind;
    }

    /**
     * The header called {@code lowerName}, or {@code null} for a pseudo-header the engine does not
     * know (such as {@code :scheme}), which the compiler refuses.
     */
    static @Nullable HeaderRef of(String lowerName) {
        requireNonNull(lowerName, "lowerName");
        return switch (lowerName) {
            case ":method" -> new HeaderRef(lowerName, Kind.METHOD);
            case ":authority", "host" -> new HeaderRef(lowerName, Kind.AUTHORITY);
            case ":path" -> new HeaderRef(lowerName, Kind.PATH);
            default -> lowerName.startsWith(":") ? null : new HeaderRef(lowerName, Kind.FIELD);
        };
    }

    String name() {
        return name;
    }

    /** Whether this is {@code :method}. */
    boolean isMethod() {
        return kind == Kind.METHOD;
    }

    /** Whether the value is one of the normalised request's single values, not a header field. */
    boolean isPseudo() {
        return kind != Kind.FIELD;
    }

    /** The single value of a pseudo-header; {@code null} for a TCP connection. */
    @Nullable
    String pseudoValue(AuthzRequest request) {
        NormalizedRequest http = request.http();
        if (http == null) {
            return null;
        }
        return switch (kind) {
            case METHOD -> http.method();
            case AUTHORITY -> http.authority();
            case PATH -> http.path();
            case FIELD -> throw new IllegalStateException(name + " is not a pseudo-header");
        };
    }

    /** The values of a regular header field in arrival order; empty when absent. */
    List<String> fieldValues(AuthzRequest request) {
        NormalizedRequest http = request.http();
        if (http == null) {
            return List.of();
        }
        List<String> values = http.headers().get(name);
        return values == null ? List.of() : values;
    }

    /** Every value, pseudo-header or not, for explanations. */
    List<String> allValues(AuthzRequest request) {
        if (isPseudo()) {
            String value = pseudoValue(request);
            return value == null ? List.of() : List.of(value);
        }
        return fieldValues(request);
    }

    /** {@code header x-tenant=acme}, {@code header x-tenant=[a, b]}, or {@code header x-tenant (absent)}. */
    String subject(AuthzRequest request) {
        List<String> values = allValues(request);
        String shown;
        if (values.isEmpty()) {
            shown = " (absent)";
        } else if (values.size() == 1) {
            shown = "=" + values.get(0);
        } else {
            shown = "=" + values;
        }
        return Rejection.printable("header " + name + shown);
    }

    @Override
    public String toString() {
        return name;
    }
}
