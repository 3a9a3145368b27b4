package dev.palisade.proxy.xds;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.proxy.authz.AuthzEngine;
import dev.palisade.proxy.authz.RbacCompiler;
import dev.palisade.proxy.authz.RbacConfigException;
import dev.palisade.proxy.config.AppProtocol;
import dev.palisade.proxy.config.Destination;
import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.config.PeerMode;
import dev.palisade.proxy.config.ProxyConfig;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Turns the control plane's Listener and Clusters for this sidecar into one {@link ProxyConfig}, or refuses them as a
 * whole with an {@link XdsResourceException} naming the resource and field. Pure: no I/O, no state.
 *
 * <p>What is accepted is exactly the shape the control plane emits (control-plane {@code WorkloadResources}): one
 * Listener {@value #INBOUND_LISTENER} with at most a TLS inspector as listener filter and, per app port, a
 * {@code tls} filter chain and, for PERMISSIVE ports, a {@code raw_buffer} chain with the same filters; HTTP chains
 * hold one {@code http_connection_manager} whose HTTP filters are the ordered RBAC list then the router, opaque ones
 * the network RBAC list then {@code tcp_proxy}; clusters {@code inbound|<port>} (HTTP/2 to the app when they declare
 * it in {@value #HTTP_PROTOCOL_OPTIONS}) and STATIC {@code outbound|<port>||<name>.<namespace>} clusters with one
 * endpoint and one URI SAN. Every other filter, field or name is refused rather than ignored: a config the sidecar
 * only half applied would be a different config than the one the operator reviewed.
 */
public final class XdsTranslator {
    public static final String LISTENER_TYPE = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public static final String CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public static final String INBOUND_LISTENER = "palisade-inbound";
    public static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    private static final String TLS = "tls";
    private static final String RAW_BUFFER = "raw_buffer";
    private static final String INBOUND_PREFIX = "inbound|";
    private static final String OUTBOUND_PREFIX = "outbound|";

    /** The filters of one chain, parsed: the RBAC configs in order and whether they guard HTTP or opaque TCP. */
    private record ChainFilters(
            boolean tcp,
            List<io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC> http,
            List<io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC> network) {}

    private static final class PortChains {
        @Nullable
        Integer tlsIndex;

        @Nullable
        Integer plaintextIndex;
    }

    private XdsTranslator() {}

    /**
     * Initialises the generated Envoy classes a first response is made of. Building their descriptors (hundreds of
     * proto files, interpreted code at start-up) is most of what the first xDS response costs; the sidecar calls this
     * on a thread of its own while it waits for its SVID, so that the work overlaps the identity round trip instead of
     * following it. Harmless to call more than once, or never.
     */
    public static void warmUp() {
        List<Message> types = List.of(
                DiscoveryRequest.getDefaultInstance(),
                DiscoveryResponse.getDefaultInstance(),
                Listener.getDefaultInstance(),
                Cluster.getDefaultInstance(),
                ClusterLoadAssignment.getDefaultInstance(),
                HttpConnectionManager.getDefaultInstance(),
                io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDefaultInstance(),
                io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDefaultInstance(),
                Router.getDefaultInstance(),
                TlsInspector.getDefaultInstance(),
                TcpProxy.getDefaultInstance(),
                DownstreamTlsContext.getDefaultInstance(),
                UpstreamTlsContext.getDefaultInstance(),
                HttpProtocolOptions.getDefaultInstance());
        for (Message type : types) {
            var unused = type.getDescriptorForType().getFullName();
        }
    }

    /**
     * Translates one update.
     *
     * @param version the combined version, {@code <listener version>/<cluster version>}: reported by the config and
     *     by every authorization decision made under it
     * @throws XdsResourceException when anything is unsupported, malformed or inconsistent
     */
    public static ProxyConfig translate(String version, List<Listener> listeners, List<Cluster> clusters)
            throws XdsResourceException {
        requireNonNull(version, "version");
        requireNonNull(listeners, "listeners");
        requireNonNull(clusters, "clusters");
        Map<Integer, Boolean> inboundHttp2 = new HashMap<>();
        Map<InetSocketAddress, Destination> outbound = new LinkedHashMap<>();
        Map<String, Cluster> byName = new HashMap<>();
        for (Cluster cluster : clusters) {
            if (byName.put(cluster.getName(), cluster) != null) {
                throw new XdsResourceException(cluster(cluster), "name", "two clusters with this name");
            }
            if (cluster.getName().startsWith(INBOUND_PREFIX)) {
                int port = inboundPort(cluster);
                inboundHttp2.put(port, declaresHttp2(cluster));
            } else if (cluster.getName().startsWith(OUTBOUND_PREFIX)) {
                Destination destination = destination(cluster);
                Destination previous = outbound.put(destination.address(), destination);
                if (previous != null) {
                    throw new XdsResourceException(
                            cluster(cluster),
                            "load_assignment",
                            "address " + destination.address() + " is also the address of " + previous.cluster());
                }
            } else {
                throw new XdsResourceException(
                        cluster(cluster),
                        "name",
                        "unknown cluster (expected: inbound|<port> or outbound|<port>||<name>.<namespace>)");
            }
        }
        Listener listener = inboundListener(listeners);
        return new ProxyConfig(version, inbound(version, listener, inboundHttp2), outbound);
    }

    private static Listener inboundListener(List<Listener> listeners) throws XdsResourceException {
        if (listeners.size() != 1 || !listeners.get(0).getName().equals(INBOUND_LISTENER)) {
            List<String> names = listeners.stream().map(Listener::getName).toList();
            throw new XdsResourceException(
                    "Listener", "name", "got " + names + " (expected: exactly one Listener " + INBOUND_LISTENER + ")");
        }
        Listener listener = listeners.get(0);
        String resource = "Listener " + listener.getName();
        if (listener.hasDefaultFilterChain()) {
            throw new XdsResourceException(resource, "default_filter_chain", "not supported");
        }
        for (int i = 0; i < listener.getListenerFiltersCount(); i++) {
            ListenerFilter filter = listener.getListenerFilters(i);
            if (!filter.hasTypedConfig() || !filter.getTypedConfig().is(TlsInspector.class)) {
                throw new XdsResourceException(
                        resource,
                        "listener_filters[" + i + "]",
                        "'" + filter.getName() + "' is not supported (expected: only the TLS inspector)");
            }
        }
        return listener;
    }

    private static Map<Integer, InboundPort> inbound(
            String version, Listener listener, Map<Integer, Boolean> inboundHttp2) throws XdsResourceException {
        String resource = "Listener " + listener.getName();
        Map<Integer, PortChains> ports = new TreeMap<>();
        for (int i = 0; i < listener.getFilterChainsCount(); i++) {
            FilterChain chain = listener.getFilterChains(i);
            String path = "filter_chains[" + i + "]";
            FilterChainMatch match = chain.getFilterChainMatch();
            if (!match.hasDestinationPort()) {
                throw new XdsResourceException(resource, path + ".filter_chain_match.destination_port", "missing");
            }
            int port = match.getDestinationPort().getValue();
            if (port < 1 || port > 65535) {
                throw new XdsResourceException(
                        resource, path + ".filter_chain_match.destination_port", port + " (expected: 1-65535)");
            }
            FilterChainMatch rest = match.toBuilder()
                    .clearDestinationPort()
                    .clearTransportProtocol()
                    .build();
            if (!rest.equals(FilterChainMatch.getDefaultInstance())) {
                throw new XdsResourceException(
                        resource,
                        path + ".filter_chain_match",
                        "only destination_port and transport_protocol are supported");
            }
            PortChains chains = ports.computeIfAbsent(port, p -> new PortChains());
            switch (match.getTransportProtocol()) {
                case TLS -> {
                    verifyDownstreamTls(resource, path, chain);
                    if (chains.tlsIndex != null) {
                        throw new XdsResourceException(resource, path, "a second tls filter chain for port " + port);
                    }
                    chains.tlsIndex = i;
                }
                case RAW_BUFFER -> {
                    if (chain.hasTransportSocket()) {
                        throw new XdsResourceException(
                                resource, path + ".transport_socket", "a raw_buffer chain cannot have one");
                    }
                    if (chains.plaintextIndex != null) {
                        throw new XdsResourceException(
                                resource, path, "a second raw_buffer filter chain for port " + port);
                    }
                    chains.plaintextIndex = i;
                }
                default ->
                    throw new XdsResourceException(
                            resource,
                            path + ".filter_chain_match.transport_protocol",
                            "'" + match.getTransportProtocol() + "' (expected: tls or raw_buffer)");
            }
        }
        Map<Integer, InboundPort> inbound = new LinkedHashMap<>();
        for (Map.Entry<Integer, PortChains> entry : ports.entrySet()) {
            int port = entry.getKey();
            PortChains chains = entry.getValue();
            if (chains.tlsIndex == null) {
                throw new XdsResourceException(
                        resource,
                        "filter_chains[" + chains.plaintextIndex + "]",
                        "port " + port + " has a raw_buffer chain but no tls chain");
            }
            int tlsIndex = chains.tlsIndex;
            FilterChain tls = listener.getFilterChains(tlsIndex);
            PeerMode mode = PeerMode.STRICT;
            if (chains.plaintextIndex != null) {
                FilterChain plaintext = listener.getFilterChains(chains.plaintextIndex);
                if (!plaintext.getFiltersList().equals(tls.getFiltersList())) {
                    throw new XdsResourceException(
                            resource,
                            "filter_chains[" + chains.plaintextIndex + "].filters",
                            "differ from the tls chain's filters for port " + port
                                    + " (one port has one policy, whatever the transport)");
                }
                mode = PeerMode.PERMISSIVE;
            }
            String path = "filter_chains[" + tlsIndex + "]";
            ChainFilters filters = chainFilters(resource, path, port, tls);
            Boolean http2 = inboundHttp2.get(port);
            if (http2 == null) {
                throw new XdsResourceException(
                        resource, path, "port " + port + " has no cluster " + INBOUND_PREFIX + port);
            }
            AppProtocol protocol = filters.tcp() ? AppProtocol.TCP : http2 ? AppProtocol.HTTP2 : AppProtocol.HTTP;
            if (filters.tcp() && http2) {
                throw new XdsResourceException(
                        "Cluster " + INBOUND_PREFIX + port,
                        "typed_extension_protocol_options",
                        "HTTP/2 declared for an opaque TCP port");
            }
            inbound.put(port, new InboundPort(port, protocol, mode, engine(version, resource, path, filters)));
        }
        return inbound;
    }

    private static AuthzEngine engine(String version, String resource, String path, ChainFilters filters)
            throws XdsResourceException {
        try {
            return filters.tcp()
                    ? RbacCompiler.compileTcp(version, filters.network())
                    : RbacCompiler.compile(version, filters.http());
        } catch (RbacConfigException e) {
            String where = filters.tcp() ? path + ".filters(envoy.filters.network.rbac)" : path + ".http_filters(rbac)";
            throw new XdsResourceException(resource, where + " " + e.fieldPath(), e.problem(), e);
        }
    }

    private static void verifyDownstreamTls(String resource, String path, FilterChain chain)
            throws XdsResourceException {
        if (!chain.hasTransportSocket()
                || !chain.getTransportSocket().hasTypedConfig()
                || !chain.getTransportSocket().getTypedConfig().is(DownstreamTlsContext.class)) {
            throw new XdsResourceException(
                    resource, path + ".transport_socket", "a tls chain needs a DownstreamTlsContext");
        }
        DownstreamTlsContext tls =
                unpack(chain.getTransportSocket().getTypedConfig(), DownstreamTlsContext.class, resource, path);
        if (!tls.getRequireClientCertificate().getValue()) {
            throw new XdsResourceException(
                    resource,
                    path + ".transport_socket.require_client_certificate",
                    "false (the sidecar always requires the peer's SVID on TLS)");
        }
    }

    private static ChainFilters chainFilters(String resource, String path, int port, FilterChain chain)
            throws XdsResourceException {
        List<Filter> filters = chain.getFiltersList();
        if (filters.isEmpty()) {
            throw new XdsResourceException(resource, path + ".filters", "empty");
        }
        Filter last = filters.get(filters.size() - 1);
        if (last.hasTypedConfig() && last.getTypedConfig().is(HttpConnectionManager.class)) {
            if (filters.size() != 1) {
                throw new XdsResourceException(
                        resource, path + ".filters", "an http_connection_manager chain holds nothing else");
            }
            String hcmPath = path + ".filters[0]";
            HttpConnectionManager hcm = unpack(last.getTypedConfig(), HttpConnectionManager.class, resource, hcmPath);
            return new ChainFilters(false, httpRbac(resource, hcmPath, port, hcm), List.of());
        }
        List<io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC> network = new ArrayList<>();
        for (int j = 0; j < filters.size(); j++) {
            Filter filter = filters.get(j);
            String filterPath = path + ".filters[" + j + "]";
            Any config = filter.getTypedConfig();
            if (j < filters.size() - 1
                    && config.is(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class)) {
                network.add(unpack(
                        config,
                        io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class,
                        resource,
                        filterPath));
            } else if (j == filters.size() - 1 && config.is(TcpProxy.class)) {
                TcpProxy tcp = unpack(config, TcpProxy.class, resource, filterPath);
                if (!tcp.getCluster().equals(INBOUND_PREFIX + port)) {
                    throw new XdsResourceException(
                            resource,
                            filterPath + ".cluster",
                            "'" + tcp.getCluster() + "' (expected: " + INBOUND_PREFIX + port + ")");
                }
            } else {
                throw new XdsResourceException(
                        resource,
                        filterPath,
                        "'" + filter.getName() + "' (" + config.getTypeUrl() + ") is not supported here (expected: "
                                + "envoy.filters.network.rbac filters, then tcp_proxy; or one http_connection_manager)");
            }
        }
        return new ChainFilters(true, List.of(), network);
    }

    private static List<io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC> httpRbac(
            String resource, String path, int port, HttpConnectionManager hcm) throws XdsResourceException {
        if (!hcm.hasRouteConfig()) {
            throw new XdsResourceException(
                    resource, path + ".route_specifier", "only an inline route_config is supported (no RDS)");
        }
        for (VirtualHost host : hcm.getRouteConfig().getVirtualHostsList()) {
            for (Route route : host.getRoutesList()) {
                if (!route.getRoute().getCluster().equals(INBOUND_PREFIX + port)) {
                    throw new XdsResourceException(
                            resource,
                            path + ".route_config.virtual_hosts(" + host.getName() + ").routes.route.cluster",
                            "'" + route.getRoute().getCluster() + "' (expected: " + INBOUND_PREFIX + port + ")");
                }
            }
        }
        List<io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC> rbac = new ArrayList<>();
        int count = hcm.getHttpFiltersCount();
        for (int k = 0; k < count; k++) {
            HttpFilter filter = hcm.getHttpFilters(k);
            String filterPath = path + ".http_filters[" + k + "]";
            Any config = filter.getTypedConfig();
            if (k < count - 1 && config.is(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class)) {
                rbac.add(unpack(
                        config, io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class, resource, filterPath));
            } else if (k == count - 1 && config.is(Router.class)) {
                return rbac;
            } else {
                throw new XdsResourceException(
                        resource,
                        filterPath,
                        "'" + filter.getName() + "' (" + config.getTypeUrl() + ") is not supported here (expected: "
                                + "envoy.filters.http.rbac filters, then the router, last)");
            }
        }
        throw new XdsResourceException(resource, path + ".http_filters", "no router at the end");
    }

    private static int inboundPort(Cluster cluster) throws XdsResourceException {
        String suffix = cluster.getName().substring(INBOUND_PREFIX.length());
        int port = parsePort(suffix);
        if (port < 0) {
            throw new XdsResourceException(cluster(cluster), "name", "expected inbound|<port>");
        }
        SocketAddress endpoint = singleEndpoint(cluster);
        if (endpoint.getPortValue() != port) {
            throw new XdsResourceException(
                    cluster(cluster),
                    "load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value",
                    endpoint.getPortValue() + " (expected: " + port + ", the app's port)");
        }
        return port;
    }

    private static boolean declaresHttp2(Cluster cluster) throws XdsResourceException {
        boolean http2 = false;
        for (Map.Entry<String, Any> option :
                cluster.getTypedExtensionProtocolOptionsMap().entrySet()) {
            String path = "typed_extension_protocol_options[" + option.getKey() + "]";
            if (!option.getKey().equals(HTTP_PROTOCOL_OPTIONS)
                    || !option.getValue().is(HttpProtocolOptions.class)) {
                throw new XdsResourceException(cluster(cluster), path, "not supported");
            }
            HttpProtocolOptions options = unpack(option.getValue(), HttpProtocolOptions.class, cluster(cluster), path);
            if (!options.hasExplicitHttpConfig()) {
                throw new XdsResourceException(
                        cluster(cluster), path, "only explicit_http_config is supported (no auto or downstream)");
            }
            http2 = options.getExplicitHttpConfig().hasHttp2ProtocolOptions();
        }
        return http2;
    }

    private static Destination destination(Cluster cluster) throws XdsResourceException {
        String resource = cluster(cluster);
        if (cluster.getType() != Cluster.DiscoveryType.STATIC) {
            throw new XdsResourceException(resource, "type", cluster.getType() + " (expected: STATIC)");
        }
        SocketAddress endpoint = singleEndpoint(cluster);
        String path = "load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address";
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(endpoint.getAddress());
        if (ip == null) {
            throw new XdsResourceException(
                    resource, path + ".address", "'" + endpoint.getAddress() + "' (expected: an IP literal)");
        }
        int port = endpoint.getPortValue();
        if (port < 1 || port > 65535) {
            throw new XdsResourceException(resource, path + ".port_value", port + " (expected: 1-65535)");
        }
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new XdsResourceException(resource, path + ".address", "'" + endpoint.getAddress() + "'", e);
        }
        return new Destination(cluster.getName(), address, expectedSan(cluster));
    }

    private static SpiffeId expectedSan(Cluster cluster) throws XdsResourceException {
        String resource = cluster(cluster);
        if (!cluster.hasTransportSocket()
                || !cluster.getTransportSocket().getTypedConfig().is(UpstreamTlsContext.class)) {
            throw new XdsResourceException(
                    resource, "transport_socket", "an outbound cluster needs an UpstreamTlsContext");
        }
        UpstreamTlsContext tls = unpack(
                cluster.getTransportSocket().getTypedConfig(), UpstreamTlsContext.class, resource, "transport_socket");
        CommonTlsContext common = tls.getCommonTlsContext();
        String path = "transport_socket.common_tls_context.";
        CertificateValidationContext validation;
        if (common.hasCombinedValidationContext()) {
            validation = common.getCombinedValidationContext().getDefaultValidationContext();
            path += "combined_validation_context.default_validation_context.";
        } else {
            validation = common.getValidationContext();
            path += "validation_context.";
        }
        if (validation.getMatchSubjectAltNamesCount() > 0) {
            throw new XdsResourceException(
                    resource, path + "match_subject_alt_names", "deprecated; use match_typed_subject_alt_names");
        }
        if (validation.getMatchTypedSubjectAltNamesCount() != 1) {
            throw new XdsResourceException(
                    resource,
                    path + "match_typed_subject_alt_names",
                    validation.getMatchTypedSubjectAltNamesCount()
                            + " entries (expected: exactly one, the destination's SPIFFE ID)");
        }
        SubjectAltNameMatcher san = validation.getMatchTypedSubjectAltNames(0);
        String sanPath = path + "match_typed_subject_alt_names[0]";
        if (san.getSanType() != SubjectAltNameMatcher.SanType.URI
                || !san.getMatcher().hasExact()
                || san.getMatcher().getIgnoreCase()) {
            throw new XdsResourceException(
                    resource, sanPath, "expected a URI SAN with an exact, case-sensitive matcher");
        }
        try {
            return SpiffeId.parse(san.getMatcher().getExact());
        } catch (InvalidSpiffeIdException e) {
            throw new XdsResourceException(resource, sanPath + ".matcher.exact", String.valueOf(e.getMessage()), e);
        }
    }

    private static SocketAddress singleEndpoint(Cluster cluster) throws XdsResourceException {
        ClusterLoadAssignment assignment = cluster.getLoadAssignment();
        List<LbEndpoint> endpoints = assignment.getEndpointsList().stream()
                .flatMap(l -> l.getLbEndpointsList().stream())
                .toList();
        if (endpoints.size() != 1) {
            throw new XdsResourceException(
                    cluster(cluster), "load_assignment", endpoints.size() + " endpoints (expected: exactly one)");
        }
        LbEndpoint endpoint = endpoints.get(0);
        if (!endpoint.getEndpoint().getAddress().hasSocketAddress()) {
            throw new XdsResourceException(
                    cluster(cluster),
                    "load_assignment.endpoints[0].lb_endpoints[0].endpoint.address",
                    "expected a socket_address");
        }
        return endpoint.getEndpoint().getAddress().getSocketAddress();
    }

    private static int parsePort(String s) {
        if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        int port = Integer.parseInt(s);
        return port >= 1 && port <= 65535 ? port : -1;
    }

    private static <T extends Message> T unpack(Any any, Class<T> type, String resource, String path)
            throws XdsResourceException {
        try {
            return any.unpack(type);
        } catch (InvalidProtocolBufferException e) {
            throw new XdsResourceException(resource, path + ".typed_config", "does not parse: " + e.getMessage(), e);
        }
    }

    private static String cluster(Cluster cluster) {
        return "Cluster " + cluster.getName();
    }
}
