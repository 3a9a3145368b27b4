package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

/**
 * A {@code HeaderMatcher} with {@code present_match}: {@code true} matches when the header is in
 * the request, {@code false} when it is not (Envoy's semantics since 1.24); {@code invert_match}
 * negates. Values do not matter, so there is no {@link MultiValueMode}.
 */
final class HeaderPresentMatcher implements Matcher {

    private final HeaderRef header;
    private final boolean present;
    private final boolean inverted;

    HeaderPresentMatcher(HeaderRef header, boolean present, boolean inverted) {
        this.header = requireNonNull(header, "header");
        this.present = present;
        this.inverted = inverted;
    }

    @Override
    public boolean matches(AuthzRequest request) {
        boolean exists = header.isPseudo()
                ? header.pseudoValue(request) != null
                : !header.fieldValues(request).isEmpty();
        return (exists == present) != inverted;
    }

    @Override
    public Trace trace(AuthzRequest request) {
        return Trace.leaf(matches(request), header.subject(request), expected());
    }

    private String expected() {
        return present != inverted ? "present" : "absent";
    }

    @Override
    public String describe() {
        return "header " + header + " " + expected();
    }
}
