/**
 * The outbound listener (issue 5): accepts the app's plaintext connections, captured by iptables (the original
 * destination read from the socket) or on an explicit local upstream port, and carries each one over its own mTLS
 * connection to the destination's sidecar, after checking that the server's SPIFFE ID is the one expected there.
 * Destinations outside the mesh are passed through as plain TCP or refused, by setting.
 */
@NullMarked
package dev.palisade.proxy.outbound;

import org.jspecify.annotations.NullMarked;
