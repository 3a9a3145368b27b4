package dev.palisade.proxy.authz;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/**
 * What a cacheable engine's decision depends on, and nothing else: a component the compiled
 * policies never look at is left {@code null}, so that requests differing only there share an
 * entry. Made by {@link AuthzEngine#cacheKey}; only for engines with no condition on a regular
 * header field.
 *
 * @param method {@code :method}; {@code null} for a TCP connection
 * @param path {@code :path} without the query; {@code null} for a TCP connection
 * @param authority {@code :authority}; {@code null} for a TCP connection
 * @param principal the peer's SPIFFE ID; {@code null} for a plaintext peer
 * @param destinationPort the destination port
 * @param sourceIp the peer's address, when a policy tests it
 * @param destinationIp the destination address, when a policy tests it
 * @param serverName the SNI, when a policy tests it
 */
record DecisionKey(
        @Nullable String method,
        @Nullable String path,
        @Nullable String authority,
        @Nullable String principal,
        int destinationPort,
        @Nullable InetAddress sourceIp,
        @Nullable InetAddress destinationIp,
        @Nullable String serverName) {}
