package dev.palisade.proxy.xds;

import static java.util.Objects.requireNonNull;

/**
 * An xDS resource the sidecar refuses: unsupported, malformed, or inconsistent with the other resources of the
 * update. The message names the resource and the field, and becomes the NACK's {@code error_detail}.
 */
public final class XdsResourceException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String resource;
    private final String field;

    /**
     * @param resource the resource, {@code Listener palisade-inbound} or {@code Cluster inbound|8080}
     * @param field the field path inside it, {@code filter_chains[2].filter_chain_match.destination_port}
     * @param problem what is wrong with it
     */
    public XdsResourceException(String resource, String field, String problem) {
        super(requireNonNull(resource, "resource") + ": " + requireNonNull(field, "field") + ": "
                + requireNonNull(problem, "problem"));
        this.resource = resource;
        this.field = field;
    }

    XdsResourceException(String resource, String field, String problem, Throwable cause) {
        this(resource, field, problem);
        initCause(cause);
    }

    public String resource() {
        return resource;
    }

    public String field() {
        return field;
    }
}
