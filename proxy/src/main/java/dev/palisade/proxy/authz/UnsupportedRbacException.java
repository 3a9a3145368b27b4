package dev.palisade.proxy.authz;

/**
 * A well-formed Envoy RBAC config that uses a field the engine does not implement, such as {@code
 * metadata}, {@code filter_state}, a CEL {@code condition} or a {@code matcher} extension.
 *
 * <p>Envoy would enforce such a field; ignoring it would enforce a different policy than the one
 * that was written, which for a DENY rule is a bypass. So the whole config is refused, and the
 * xDS client NACKs it. The message ends in {@code not supported}, after the field path, for
 * example {@code ns[shop]-policy[p]-rule[0].permissions[1].metadata: not supported}.
 */
public final class UnsupportedRbacException extends RbacConfigException {

    private static final long serialVersionUID = 1L;

    /** The field at {@code fieldPath} is not supported at all. */
    public UnsupportedRbacException(String fieldPath) {
        super(fieldPath, "not supported");
    }

    /** The field at {@code fieldPath} is not supported, for the given reason. */
    public UnsupportedRbacException(String fieldPath, String reason) {
        super(fieldPath, "not supported: " + reason);
    }
}
