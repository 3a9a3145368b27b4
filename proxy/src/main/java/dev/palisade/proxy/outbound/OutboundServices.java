package dev.palisade.proxy.outbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.proxy.config.ProxyConfigHolder;
import dev.palisade.proxy.flow.FlowSink;
import dev.palisade.proxy.inbound.InboundObserver;

/**
 * What every outbound connection shares. Built once by the sidecar's assembly.
 *
 * @param config the current xDS config: mesh destinations and their expected identities (captured mode)
 * @param tls the client TLS contexts, following SVID and bundle rotations
 * @param settings outside-mesh policy, reserved ports, timeouts
 * @param flows where each finished connection goes (direction {@code OUTBOUND})
 * @param observer connection-level events; refusal reasons are listed on {@link OutboundServer}
 */
public record OutboundServices(
        ProxyConfigHolder config,
        OutboundTls tls,
        OutboundSettings settings,
        FlowSink flows,
        InboundObserver observer) {
    public OutboundServices {
        requireNonNull(config, "config");
        requireNonNull(tls, "tls");
        requireNonNull(settings, "settings");
        requireNonNull(flows, "flows");
        requireNonNull(observer, "observer");
    }
}
