/**
 * PEM input and output for keys, certificates and chains (RFC 7468), with errors that name the
 * source and what is wrong with it: no block, a truncated block, the wrong block type, a key that
 * does not belong to its certificate.
 */
@NullMarked
package dev.palisade.certs.pem;

import org.jspecify.annotations.NullMarked;
