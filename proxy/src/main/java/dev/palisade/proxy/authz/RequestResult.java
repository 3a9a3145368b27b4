package dev.palisade.proxy.authz;

/**
 * The outcome of {@link RequestNormalizer#normalize}: a {@link NormalizedRequest} to evaluate and
 * forward, or a {@link Rejection} to answer with 400.
 */
public sealed interface RequestResult permits NormalizedRequest, Rejection {}
