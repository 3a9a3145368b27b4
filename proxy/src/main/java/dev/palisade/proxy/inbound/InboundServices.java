package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.proxy.authz.RequestNormalizer;
import dev.palisade.proxy.config.ProxyConfigHolder;
import dev.palisade.proxy.flow.FlowSink;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.util.function.Supplier;

/**
 * What every inbound connection shares: the current config, the TLS context for new handshakes, the way to the app,
 * the limits and the observers. Built once by the sidecar's assembly.
 *
 * @param config the current xDS config (ports, modes, policies), read per connection and per request
 * @param serverSsl the TLS server context for the next handshake (rotates with the SVID and the trust bundle)
 * @param self this workload's SPIFFE ID (as of the current SVID)
 * @param appHost the app's address (127.0.0.1 in a pod)
 * @param http1App HTTP/1.1 exchange channels to the app
 * @param http2App HTTP/2 exchange channels to the app, for ports that declare HTTP2 or GRPC
 * @param http2 configures connections whose peer speaks HTTP/2
 * @param normalizer the request normaliser (the same one {@code palisade authz check} uses)
 * @param limits the limits against bad peers
 * @param flows where finished requests and connections go
 * @param observer connection-level events
 */
public record InboundServices(
        ProxyConfigHolder config,
        Supplier<SslContext> serverSsl,
        Supplier<SpiffeId> self,
        InetAddress appHost,
        AppStreams http1App,
        AppStreams http2App,
        Http2ServerInitializer http2,
        RequestNormalizer normalizer,
        InboundLimits limits,
        FlowSink flows,
        InboundObserver observer) {
    public InboundServices {
        requireNonNull(config, "config");
        requireNonNull(serverSsl, "serverSsl");
        requireNonNull(self, "self");
        requireNonNull(appHost, "appHost");
        requireNonNull(http1App, "http1App");
        requireNonNull(http2App, "http2App");
        requireNonNull(http2, "http2");
        requireNonNull(normalizer, "normalizer");
        requireNonNull(limits, "limits");
        requireNonNull(flows, "flows");
        requireNonNull(observer, "observer");
    }
}
