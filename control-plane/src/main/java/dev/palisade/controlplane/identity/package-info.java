/**
 * The identity service: verifies a workload's credential (a bootstrap token in local mode, a projected
 * ServiceAccount token through TokenReview in Kubernetes mode), then signs its CSR for exactly the SPIFFE ID the
 * credential proves. Every issuance and refusal is logged with who asked, for which ID, and the outcome.
 */
@NullMarked
package dev.palisade.controlplane.identity;

import org.jspecify.annotations.NullMarked;
