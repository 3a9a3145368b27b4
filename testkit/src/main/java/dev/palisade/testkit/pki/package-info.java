/**
 * Certificates for tests, minted with Bouncy Castle independently of Palisade's own CA: sane
 * SPIFFE defaults, and one knob for each way a certificate can be wrong (expired, foreign trust
 * domain, two URI SANs, a CA used as a leaf, missing or extra key usages, a NUL inside a SAN).
 */
@NullMarked
package dev.palisade.testkit.pki;

import org.jspecify.annotations.NullMarked;
