package dev.palisade.proxy.capture;

/**
 * A command of {@link IptablesInstaller} failed, could not be started, or did not finish in time. The message starts
 * with the command line exactly as it was run (so it can be pasted into a shell inside the pod), then what went wrong
 * and the command's stderr: {@code ip6tables -w 5 -t nat -N PALISADE_INBOUND: exit 3: can't initialize ip6tables
 * table `nat'}.
 */
public final class IptablesException extends Exception {

    private static final long serialVersionUID = 1L;

    public IptablesException(String message) {
        super(message);
    }

    public IptablesException(String message, Throwable cause) {
        super(message, cause);
    }
}
