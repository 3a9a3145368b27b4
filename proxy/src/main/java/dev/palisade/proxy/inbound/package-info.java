/**
 * The inbound listener (issue 5): the enforcement point. Accepts connections from peers, detects TLS or plaintext,
 * terminates mTLS with the workload's SVID, authorizes each HTTP request (or each opaque TCP connection) with the
 * engine of the current config, and forwards what is allowed to the app on loopback.
 */
@NullMarked
package dev.palisade.proxy.inbound;

import org.jspecify.annotations.NullMarked;
