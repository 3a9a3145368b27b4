package dev.palisade.proxy.authz;

/**
 * The outcome of {@link PathNormalizer#normalize(String)}: a {@link NormalizedPath} to evaluate
 * and forward, or a {@link Rejection} to answer with 400.
 */
public sealed interface PathResult permits NormalizedPath, Rejection {}
