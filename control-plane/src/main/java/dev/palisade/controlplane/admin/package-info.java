/**
 * The control plane's admin port (default 15014): {@code /ready}, {@code /live} and {@code /metrics} (Prometheus
 * text format). Read-only; nothing here changes state.
 */
@NullMarked
package dev.palisade.controlplane.admin;

import org.jspecify.annotations.NullMarked;
