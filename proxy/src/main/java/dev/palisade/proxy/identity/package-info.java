/**
 * The workload's identity at run time (issue 5): its first X.509-SVID from the control plane's identity service, the
 * renewals at half life, and the TLS contexts built from the current one.
 */
@NullMarked
package dev.palisade.proxy.identity;

import org.jspecify.annotations.NullMarked;
