/**
 * Netty TLS contexts built from an X.509-SVID and trust bundles: mutual TLS 1.3 (1.2 as a
 * configurable floor), BoringSSL when netty-tcnative is available, the post-quantum hybrid key
 * exchange X25519MLKEM768 preferred where BoringSSL offers it, and a trust manager that applies
 * SPIFFE X.509-SVID verification and exposes the peer's SPIFFE ID.
 */
@NullMarked
package dev.palisade.certs.tls;

import org.jspecify.annotations.NullMarked;
