package dev.palisade.proxy.authz;

/**
 * What the compiled policies look at, decided by {@link RbacCompiler}: whether the decision can be
 * cached at all, and which optional components a {@link DecisionKey} needs.
 *
 * @param cacheable no condition on a regular header field (only {@code :method}, {@code
 *     :authority}/{@code host} and {@code :path}), so the decision is a function of the key
 * @param sourceIp some policy tests the peer's address
 * @param destinationIp some policy tests the destination address
 * @param serverName some policy tests the SNI
 */
record KeyShape(boolean cacheable, boolean sourceIp, boolean destinationIp, boolean serverName) {}
