/**
 * Transparent capture (issue 5): how an application's TCP connections reach the sidecar without the application
 * knowing. {@link dev.palisade.proxy.capture.IptablesRules} generates the NAT rules that {@code palisade init-iptables}
 * installs in the pod's network namespace (REDIRECT inbound TCP to the inbound port, outbound TCP to the outbound
 * port, with the exclusions of {@link dev.palisade.proxy.capture.CaptureConfig}); {@link
 * dev.palisade.proxy.capture.IptablesInstaller} applies them idempotently through the {@code iptables} and {@code
 * ip6tables} binaries and removes them again; {@link dev.palisade.proxy.capture.OriginalDestination} reads, from an
 * accepted connection on the epoll transport, the address the client meant to reach before the REDIRECT rewrote it.
 */
@NullMarked
package dev.palisade.proxy.capture;

import org.jspecify.annotations.NullMarked;
