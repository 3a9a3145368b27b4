/**
 * SPIFFE IDs and trust domains, parsed and validated exactly as the SPIFFE ID specification
 * (SPIFFE-ID.md §2) says. Every refusal names the rule that failed.
 */
@NullMarked
package dev.palisade.certs.spiffe;

import org.jspecify.annotations.NullMarked;
