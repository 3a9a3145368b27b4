/**
 * When to renew a certificate: at half its lifetime, with jitter so that a fleet of sidecars that
 * started together does not renew together.
 */
@NullMarked
package dev.palisade.certs.renewal;

import org.jspecify.annotations.NullMarked;
