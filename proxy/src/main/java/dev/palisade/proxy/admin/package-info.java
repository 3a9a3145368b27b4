/**
 * The sidecar's operations surface (issue 5): the admin HTTP server on loopback ({@code /ready}, {@code /live},
 * {@code /metrics}, {@code /config}, {@code /certs}, {@code POST /quit} behind a bearer token), the health server for
 * the kubelet ({@code /ready}, {@code /live}), and the Prometheus metrics the data path feeds.
 */
@NullMarked
package dev.palisade.proxy.admin;

import org.jspecify.annotations.NullMarked;
