/**
 * The control plane's admin port (default 15014): {@code /ready}, {@code /live} and {@code /metrics} (Prometheus
 * text format), open to anyone, and {@code /config} and the flows API, which {@link
 * dev.palisade.controlplane.admin.AdminAccess} guards with a bearer token or, without one, keeps to loopback clients.
 * Read-only; nothing here changes state.
 */
@NullMarked
package dev.palisade.controlplane.admin;

import org.jspecify.annotations.NullMarked;
