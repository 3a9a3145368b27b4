package dev.palisade.controlplane.policy;

/**
 * Receives the outcome of each load of a policy source whose content changed: a new complete set,
 * or the problems that kept it from loading (the last good set then stays in force).
 *
 * <p>Called from the source's own thread, one call at a time; an implementation should hand the
 * work off rather than block it. An exception thrown by a method is logged and otherwise ignored.
 */
public interface PolicySetListener {

    /** A new set loaded; {@link PolicySet#version()} identifies it. */
    void onPolicySet(PolicySet set);

    /** The source changed but did not load; {@link PolicyLoadException#errors()} says why. */
    void onError(PolicyLoadException error);
}
