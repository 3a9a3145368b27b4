package dev.palisade.proxy.identity;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;

/**
 * The control plane refused to issue this workload's first SVID: the credential is missing, unknown or expired
 * (UNAUTHENTICATED), proves another identity (PERMISSION_DENIED), or the request was malformed (INVALID_ARGUMENT).
 * Retrying cannot help, so start-up fails with this instead of retrying forever.
 */
public final class WorkloadIdentityException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Status.Code code;

    public WorkloadIdentityException(String message, Status.Code code, Throwable cause) {
        super(requireNonNull(message, "message"), cause);
        this.code = requireNonNull(code, "code");
    }

    /** The gRPC status the identity service answered with. */
    public Status.Code code() {
        return code;
    }
}
