/**
 * Test-scope helpers shared by every module: an independent PKI fixture ({@code pki}) and a
 * Netty leak check that fails the build ({@code leak}).
 *
 * <p>The testkit deliberately depends on none of Palisade's own modules: certificates for tests are
 * minted directly with Bouncy Castle, so a bug in the product's CA can never hide a bug in the
 * product's verifier, and the {@code certs} module can use the testkit without a reactor cycle.
 */
@NullMarked
package dev.palisade.testkit;

import org.jspecify.annotations.NullMarked;
