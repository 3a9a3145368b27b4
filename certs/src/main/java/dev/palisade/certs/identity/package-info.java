/**
 * The client side of the identity service ({@code palisade.identity.v1.Identity}, generated into
 * {@code dev.palisade.certs.v1}): a workload makes its key, sends a CSR with its credential, and checks what comes
 * back before it uses it. Also the conversions between the wire messages and {@code certs} types, used by both
 * sides.
 */
@NullMarked
package dev.palisade.certs.identity;

import org.jspecify.annotations.NullMarked;
