/**
 * Trust bundles: the root certificates that vouch for a trust domain. A bundle may hold several
 * roots at once, which is how a root rotation works without an outage (the new root is trusted
 * before anything is signed with it, and the old one is trusted until its last leaf expires).
 */
@NullMarked
package dev.palisade.certs.bundle;

import org.jspecify.annotations.NullMarked;
