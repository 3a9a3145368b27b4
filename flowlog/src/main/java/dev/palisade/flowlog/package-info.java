/**
 * Tamper-evident flow logs (issue 6): the record format ({@code dev.palisade.flowlog.v1}, one JSON rendering in
 * {@code FlowEntries}), the per-sidecar hash chain with signed checkpoints ({@code FlowChain}), the size-capped,
 * rotated JSON-lines file fed through a bounded queue ({@code FlowLogFile}), the shipper's spill-to-disk queue
 * ({@code SpillQueue}) and the verifier behind {@code palisade flows verify} ({@code FlowVerifier}). The format,
 * hash and verification rules are defined in the module README.
 */
@NullMarked
package dev.palisade.flowlog;

import org.jspecify.annotations.NullMarked;
