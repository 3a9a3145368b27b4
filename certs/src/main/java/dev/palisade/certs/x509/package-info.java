/**
 * X.509-SVIDs: a workload's certificate chain and key ({@code X509Svid}), and the verification of a
 * peer's chain against trust bundles per the SPIFFE X.509-SVID specification
 * ({@code SvidVerifier}), where every refusal is an {@code SvidVerificationException} naming the
 * broken rule.
 */
@NullMarked
package dev.palisade.certs.x509;

import org.jspecify.annotations.NullMarked;
