package dev.palisade.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Envoy resources shaped exactly as the control plane's {@code WorkloadResources} builds them (copied shapes: the
 * proxy's tests cannot depend on control-plane code).
 */
final class XdsFixtures {
    static final String PAYMENTS = "spiffe://cluster.local/ns/shop/sa/payments";

    private XdsFixtures() {}

    /** An ALLOW filter with one policy that admits {@code principal} on everything. */
    static io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC allowHttp(String principal) {
        return io.envoyproxy
                .envoy
                .extensions
                .filters
                .http
                .rbac
                .v3
                .RBAC
                .newBuilder()
                .setRules(allowRules(principal))
                .build();
    }

    static io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC allowTcp(String principal) {
        return io.envoyproxy
                .envoy
                .extensions
                .filters
                .network
                .rbac
                .v3
                .RBAC
                .newBuilder()
                .setStatPrefix("palisade_tcp")
                .setRules(allowRules(principal))
                .build();
    }

    private static RBAC allowRules(String principal) {
        return RBAC.newBuilder()
                .setAction(RBAC.Action.ALLOW)
                .putPolicies(
                        "ns[shop]-policy[allow]-rule[0]",
                        Policy.newBuilder()
                                .addPermissions(Permission.newBuilder().setAny(true))
                                .addPrincipals(Principal.newBuilder()
                                        .setAuthenticated(Principal.Authenticated.newBuilder()
                                                .setPrincipalName(StringMatcher.newBuilder()
                                                        .setExact(principal))))
                                .build())
                .build();
    }

    static Filter httpConnectionManager(int port, List<io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC> rbac) {
        HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder()
                .setStatPrefix("inbound_" + port)
                .setRouteConfig(RouteConfiguration.newBuilder()
                        .setName("inbound|" + port)
                        .addVirtualHosts(VirtualHost.newBuilder()
                                .setName("inbound|" + port)
                                .addDomains("*")
                                .addRoutes(Route.newBuilder()
                                        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                                        .setRoute(RouteAction.newBuilder().setCluster("inbound|" + port)))));
        for (var r : rbac) {
            hcm.addHttpFilters(
                    HttpFilter.newBuilder().setName("envoy.filters.http.rbac").setTypedConfig(Any.pack(r)));
        }
        hcm.addHttpFilters(HttpFilter.newBuilder()
                .setName("envoy.filters.http.router")
                .setTypedConfig(Any.pack(Router.getDefaultInstance())));
        return Filter.newBuilder()
                .setName("envoy.filters.network.http_connection_manager")
                .setTypedConfig(Any.pack(hcm.build()))
                .build();
    }

    static List<Filter> tcpFilters(int port, List<io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC> rbac) {
        List<Filter> filters = new ArrayList<>();
        for (var r : rbac) {
            filters.add(Filter.newBuilder()
                    .setName("envoy.filters.network.rbac")
                    .setTypedConfig(Any.pack(r))
                    .build());
        }
        filters.add(Filter.newBuilder()
                .setName("envoy.filters.network.tcp_proxy")
                .setTypedConfig(Any.pack(TcpProxy.newBuilder()
                        .setStatPrefix("inbound_" + port)
                        .setCluster("inbound|" + port)
                        .build()))
                .build());
        return filters;
    }

    static Listener.Builder listener() {
        return Listener.newBuilder()
                .setName(XdsTranslator.INBOUND_LISTENER)
                .setStatPrefix("inbound")
                .setAddress(address("0.0.0.0", 15006))
                .addListenerFilters(ListenerFilter.newBuilder()
                        .setName("envoy.filters.listener.tls_inspector")
                        .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())));
    }

    static FilterChain tlsChain(int port, List<Filter> filters) {
        return FilterChain.newBuilder()
                .setName("inbound|" + port + "|tls")
                .setFilterChainMatch(FilterChainMatch.newBuilder()
                        .setDestinationPort(UInt32Value.of(port))
                        .setTransportProtocol("tls"))
                .setTransportSocket(TransportSocket.newBuilder()
                        .setName("envoy.transport_sockets.tls")
                        .setTypedConfig(Any.pack(DownstreamTlsContext.newBuilder()
                                .setRequireClientCertificate(BoolValue.of(true))
                                .setCommonTlsContext(commonTlsContext(List.of()))
                                .build())))
                .addAllFilters(filters)
                .build();
    }

    static FilterChain plaintextChain(int port, List<Filter> filters) {
        return FilterChain.newBuilder()
                .setName("inbound|" + port + "|plaintext")
                .setFilterChainMatch(FilterChainMatch.newBuilder()
                        .setDestinationPort(UInt32Value.of(port))
                        .setTransportProtocol("raw_buffer"))
                .addAllFilters(filters)
                .build();
    }

    static Cluster inboundCluster(int port, boolean http2) {
        Cluster.Builder cluster = staticCluster("inbound|" + port, "127.0.0.1", port);
        if (http2) {
            cluster.putTypedExtensionProtocolOptions(
                    XdsTranslator.HTTP_PROTOCOL_OPTIONS,
                    Any.pack(HttpProtocolOptions.newBuilder()
                            .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                                    .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                            .build()));
        }
        return cluster.build();
    }

    static Cluster outboundCluster(String name, String host, int port, List<String> sans) {
        UpstreamTlsContext tls = UpstreamTlsContext.newBuilder()
                .setCommonTlsContext(commonTlsContext(sans))
                .build();
        return staticCluster(name, host, port)
                .setTransportSocket(TransportSocket.newBuilder()
                        .setName("envoy.transport_sockets.tls")
                        .setTypedConfig(Any.pack(tls)))
                .build();
    }

    static CommonTlsContext commonTlsContext(List<String> expectedSans) {
        CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder();
        for (String san : expectedSans) {
            validation.addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                    .setSanType(SubjectAltNameMatcher.SanType.URI)
                    .setMatcher(StringMatcher.newBuilder().setExact(san)));
        }
        return CommonTlsContext.newBuilder()
                .addTlsCertificateSdsSecretConfigs(SdsSecretConfig.newBuilder().setName("default"))
                .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                        .setDefaultValidationContext(validation)
                        .setValidationContextSdsSecretConfig(
                                SdsSecretConfig.newBuilder().setName("ROOTCA")))
                .build();
    }

    static Cluster.Builder staticCluster(String name, String host, int port) {
        return Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.STATIC)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(5))
                .setLoadAssignment(ClusterLoadAssignment.newBuilder()
                        .setClusterName(name)
                        .addEndpoints(LocalityLbEndpoints.newBuilder()
                                .addLbEndpoints(LbEndpoint.newBuilder()
                                        .setEndpoint(Endpoint.newBuilder().setAddress(address(host, port))))));
    }

    static Address address(String host, int port) {
        return Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port))
                .build();
    }

    /** A workload with HTTP 8080 (STRICT), gRPC 9090 (PERMISSIVE), TCP 5432 (STRICT), and one outbound destination. */
    static Workload typical() {
        var http = List.of(httpConnectionManager(8080, List.of(allowHttp(PAYMENTS))));
        var grpc = List.of(httpConnectionManager(9090, List.of()));
        var tcp = tcpFilters(5432, List.of(allowTcp(PAYMENTS)));
        Listener listener = listener()
                .addFilterChains(tlsChain(8080, http))
                .addFilterChains(tlsChain(9090, grpc))
                .addFilterChains(plaintextChain(9090, grpc))
                .addFilterChains(tlsChain(5432, tcp))
                .build();
        List<Cluster> clusters = List.of(
                inboundCluster(8080, false),
                inboundCluster(9090, true),
                inboundCluster(5432, false),
                outboundCluster("outbound|8443||payments.shop", "10.0.0.9", 8443, List.of(PAYMENTS)));
        return new Workload(listener, clusters);
    }

    record Workload(Listener listener, List<Cluster> clusters) {}
}
