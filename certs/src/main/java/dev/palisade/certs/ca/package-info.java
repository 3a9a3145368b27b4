/**
 * The certificate authority: a self-signed root or an operator-supplied root or intermediate that
 * signs CSRs into X.509-SVIDs ({@code CertificateAuthority}), the CSRs themselves
 * ({@code CertificateSigningRequest}), key generation ({@code KeyAlgorithm}) and the on-disk layout
 * of a CA in local mode ({@code CaDirectory}).
 */
@NullMarked
package dev.palisade.certs.ca;

import org.jspecify.annotations.NullMarked;
