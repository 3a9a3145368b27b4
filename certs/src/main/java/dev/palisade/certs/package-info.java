/**
 * Workload identity for Palisade: SPIFFE IDs ({@code spiffe}), X.509-SVID issuance and
 * verification ({@code ca}, {@code x509}), trust bundles ({@code bundle}), PEM input and output
 * ({@code pem}), renewal timing ({@code renewal}) and Netty TLS contexts built from them
 * ({@code tls}).
 */
@NullMarked
package dev.palisade.certs;

import org.jspecify.annotations.NullMarked;
