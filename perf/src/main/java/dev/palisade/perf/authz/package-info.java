/**
 * JMH benchmarks of the authorization engine ({@code dev.palisade.proxy.authz}, issue 4):
 * decisions for 10, 100 and 1,000 rules with and without the decision cache, path normalisation,
 * and normalisation of an HTTP/1.1 header list into the engine's request view. {@link
 * dev.palisade.perf.authz.PolicySets} builds the rule sets and the request mix they run on.
 * Benchmark and state classes are public and not final because JMH generates subclasses of them.
 */
@NullMarked
package dev.palisade.perf.authz;

import org.jspecify.annotations.NullMarked;
