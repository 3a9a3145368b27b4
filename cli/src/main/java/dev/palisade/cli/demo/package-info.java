/**
 * {@code palisade demo} (issue 8): a whole mesh on one machine — a local control plane, three workloads each with an
 * app and a sidecar as separate processes — and the scripted scenario that shows identity, enforcement and the audit
 * trail.
 */
@NullMarked
package dev.palisade.cli.demo;

import org.jspecify.annotations.NullMarked;
