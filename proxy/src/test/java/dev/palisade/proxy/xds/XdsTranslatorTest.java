package dev.palisade.proxy.xds;

import static dev.palisade.proxy.xds.XdsFixtures.PAYMENTS;
import static dev.palisade.proxy.xds.XdsFixtures.allowHttp;
import static dev.palisade.proxy.xds.XdsFixtures.allowTcp;
import static dev.palisade.proxy.xds.XdsFixtures.httpConnectionManager;
import static dev.palisade.proxy.xds.XdsFixtures.inboundCluster;
import static dev.palisade.proxy.xds.XdsFixtures.listener;
import static dev.palisade.proxy.xds.XdsFixtures.outboundCluster;
import static dev.palisade.proxy.xds.XdsFixtures.plaintextChain;
import static dev.palisade.proxy.xds.XdsFixtures.tcpFilters;
import static dev.palisade.proxy.xds.XdsFixtures.tlsChain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.StringValue;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.proxy.config.AppProtocol;
import dev.palisade.proxy.config.Destination;
import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.config.PeerMode;
import dev.palisade.proxy.config.ProxyConfig;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class XdsTranslatorTest {

    private static ProxyConfig translate(Listener listener, List<Cluster> clusters) throws XdsResourceException {
        return XdsTranslator.translate("v1/c1", List.of(listener), clusters);
    }

    private static void assertRefused(Listener listener, List<Cluster> clusters, String resource, String field) {
        assertThatThrownBy(() -> translate(listener, clusters))
                .isInstanceOf(XdsResourceException.class)
                .satisfies(e -> {
                    XdsResourceException x = (XdsResourceException) e;
                    assertThat(x.resource()).isEqualTo(resource);
                    assertThat(x.field()).contains(field);
                });
    }

    private static Listener withChain(int index, UnaryOperator<FilterChain.Builder> change) {
        Listener typical = XdsFixtures.typical().listener();
        return typical.toBuilder()
                .setFilterChains(index, change.apply(typical.getFilterChains(index).toBuilder()))
                .build();
    }

    private static List<Cluster> typicalClusters() {
        return XdsFixtures.typical().clusters();
    }

    private static List<Cluster> replace(List<Cluster> clusters, int index, Cluster cluster) {
        List<Cluster> copy = new ArrayList<>(clusters);
        copy.set(index, cluster);
        return copy;
    }

    // --- refusals ---

    @Test
    void refusesAChainWithoutDestinationPort() {
        Listener l = withChain(
                0,
                c -> c.setFilterChainMatch(c.getFilterChainMatch().toBuilder().clearDestinationPort()));
        assertRefused(
                l,
                typicalClusters(),
                "Listener palisade-inbound",
                "filter_chains[0].filter_chain_match.destination_port");
    }

    @Test
    void refusesOtherFilterChainMatchFields() {
        Listener l = withChain(
                0,
                c -> c.setFilterChainMatch(c.getFilterChainMatch().toBuilder().addServerNames("a.example")));
        assertRefused(l, typicalClusters(), "Listener palisade-inbound", "filter_chains[0].filter_chain_match");
    }

    @Test
    void refusesAnUnknownTransportProtocol() {
        Listener l = withChain(
                0,
                c -> c.setFilterChainMatch(c.getFilterChainMatch().toBuilder().setTransportProtocol("quic")));
        assertRefused(l, typicalClusters(), "Listener palisade-inbound", "transport_protocol");
    }

    @Test
    void refusesATlsChainThatDoesNotRequireClientCertificates() {
        Listener l = withChain(
                0,
                c -> c.setTransportSocket(c.getTransportSocket().toBuilder()
                        .setTypedConfig(Any.pack(DownstreamTlsContext.newBuilder()
                                .setRequireClientCertificate(BoolValue.of(false))
                                .build()))));
        assertRefused(l, typicalClusters(), "Listener palisade-inbound", "require_client_certificate");
    }

    @Test
    void refusesAnUnknownHttpFilter() {
        HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
                .setRouteConfig(RouteConfiguration.getDefaultInstance())
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName("envoy.filters.http.lua")
                        .setTypedConfig(Any.pack(StringValue.of("lua"))))
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName("envoy.filters.http.router")
                        .setTypedConfig(Any.pack(
                                io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDefaultInstance())))
                .build();
        Listener l = withChain(
                0,
                c -> c.setFilters(
                        0,
                        Filter.newBuilder()
                                .setName("envoy.filters.network.http_connection_manager")
                                .setTypedConfig(Any.pack(hcm))));
        assertRefused(l, typicalClusters(), "Listener palisade-inbound", "filter_chains[0].filters[0].http_filters[0]");
    }

    @Test
    void refusesRbacAfterTheRouterAndAMissingRouter() {
        Filter hcm = httpConnectionManager(8080, List.of(allowHttp(PAYMENTS)));
        HttpConnectionManager reordered = unpack(hcm).toBuilder()
                .clearHttpFilters()
                .addHttpFilters(unpack(hcm).getHttpFilters(1))
                .addHttpFilters(unpack(hcm).getHttpFilters(0))
                .build();
        Listener l = withChain(0, c -> c.setFilters(0, hcm.toBuilder().setTypedConfig(Any.pack(reordered))));
        assertRefused(l, typicalClusters(), "Listener palisade-inbound", "http_filters[0]");

        HttpConnectionManager noRouter =
                unpack(hcm).toBuilder().removeHttpFilters(1).build();
        Listener l2 = withChain(0, c -> c.setFilters(0, hcm.toBuilder().setTypedConfig(Any.pack(noRouter))));
        assertRefused(l2, typicalClusters(), "Listener palisade-inbound", "http_filters");
    }

    @Test
    void refusesRds() {
        Filter hcm = httpConnectionManager(8080, List.of());
        HttpConnectionManager rds = unpack(hcm).toBuilder()
                .setRds(Rds.newBuilder().setRouteConfigName("inbound|8080"))
                .build();
        Listener l = withChain(0, c -> c.setFilters(0, hcm.toBuilder().setTypedConfig(Any.pack(rds))));
        assertRefused(l, typicalClusters(), "Listener palisade-inbound", "route_specifier");
    }

    @Test
    void refusesAnUnknownNetworkFilter() {
        Listener l = withChain(
                3,
                c -> c.addFilters(
                        0,
                        Filter.newBuilder()
                                .setName("envoy.filters.network.mongo_proxy")
                                .setTypedConfig(Any.pack(StringValue.of("x")))));
        assertRefused(l, typicalClusters(), "Listener palisade-inbound", "filter_chains[3].filters[0]");
    }

    @Test
    void refusesRbacTheEngineDoesNotSupport() {
        var withMetadata = io.envoyproxy
                .envoy
                .extensions
                .filters
                .http
                .rbac
                .v3
                .RBAC
                .newBuilder()
                .setRules(RBAC.newBuilder()
                        .putPolicies(
                                "ns[shop]-policy[p]-rule[0]",
                                Policy.newBuilder()
                                        .addPermissions(Permission.newBuilder()
                                                .setMetadata(
                                                        io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher.newBuilder()
                                                                .setFilter("f")))
                                        .addPrincipals(Principal.newBuilder().setAny(true))
                                        .build()))
                .build();
        Listener l = withChain(0, c -> c.setFilters(0, httpConnectionManager(8080, List.of(withMetadata))));
        assertRefused(l, typicalClusters(), "Listener palisade-inbound", "metadata");
    }

    @Test
    void refusesPlaintextAndTlsChainsWithDifferentPolicies() {
        Listener typical = XdsFixtures.typical().listener();
        Listener l = typical.toBuilder()
                .setFilterChains(
                        2, plaintextChain(9090, List.of(httpConnectionManager(9090, List.of(allowHttp(PAYMENTS))))))
                .build();
        assertRefused(l, typicalClusters(), "Listener palisade-inbound", "filter_chains[2].filters");
    }

    @Test
    void refusesAPlaintextOnlyPortAndADuplicateTlsChain() {
        var grpc = List.of(httpConnectionManager(9090, List.of()));
        Listener plaintextOnly =
                listener().addFilterChains(plaintextChain(9090, grpc)).build();
        assertRefused(plaintextOnly, typicalClusters(), "Listener palisade-inbound", "filter_chains[0]");
        Listener twice = listener()
                .addFilterChains(tlsChain(9090, grpc))
                .addFilterChains(tlsChain(9090, grpc))
                .build();
        assertRefused(twice, typicalClusters(), "Listener palisade-inbound", "filter_chains[1]");
    }

    @Test
    void refusesAPortWithoutItsInboundCluster() {
        List<Cluster> clusters = new ArrayList<>(typicalClusters());
        clusters.remove(0);
        assertRefused(XdsFixtures.typical().listener(), clusters, "Listener palisade-inbound", "filter_chains[0]");
    }

    @Test
    void refusesAnOutboundClusterWithoutEndpointOrWithSeveralSans() {
        Cluster noEndpoint =
                outboundCluster("outbound|8443||payments.shop", "10.0.0.9", 8443, List.of(PAYMENTS)).toBuilder()
                        .setLoadAssignment(io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.newBuilder()
                                .setClusterName("outbound|8443||payments.shop"))
                        .build();
        assertRefused(
                XdsFixtures.typical().listener(),
                replace(typicalClusters(), 3, noEndpoint),
                "Cluster outbound|8443||payments.shop",
                "load_assignment");
        Cluster twoSans = outboundCluster(
                "outbound|8443||payments.shop",
                "10.0.0.9",
                8443,
                List.of(PAYMENTS, "spiffe://cluster.local/ns/shop/sa/other"));
        assertRefused(
                XdsFixtures.typical().listener(),
                replace(typicalClusters(), 3, twoSans),
                "Cluster outbound|8443||payments.shop",
                "match_typed_subject_alt_names");
    }

    @Test
    void refusesAHostnameEndpointAnInvalidSpiffeIdAndAnUnknownClusterName() {
        Cluster hostname =
                outboundCluster("outbound|8443||payments.shop", "payments.shop.svc", 8443, List.of(PAYMENTS));
        assertRefused(
                XdsFixtures.typical().listener(),
                replace(typicalClusters(), 3, hostname),
                "Cluster outbound|8443||payments.shop",
                "socket_address.address");
        Cluster badSan = outboundCluster("outbound|8443||payments.shop", "10.0.0.9", 8443, List.of("https://payments"));
        assertRefused(
                XdsFixtures.typical().listener(),
                replace(typicalClusters(), 3, badSan),
                "Cluster outbound|8443||payments.shop",
                "matcher.exact");
        Cluster unknown = XdsFixtures.staticCluster("blackhole", "10.0.0.1", 1).build();
        assertRefused(
                XdsFixtures.typical().listener(), replace(typicalClusters(), 3, unknown), "Cluster blackhole", "name");
    }

    @Test
    void refusesUnsupportedProtocolOptions() {
        Cluster auto = inboundCluster(9090, false).toBuilder()
                .putTypedExtensionProtocolOptions(
                        XdsTranslator.HTTP_PROTOCOL_OPTIONS,
                        Any.pack(HttpProtocolOptions.newBuilder()
                                .setAutoConfig(HttpProtocolOptions.AutoHttpConfig.getDefaultInstance())
                                .build()))
                .build();
        assertRefused(
                XdsFixtures.typical().listener(),
                replace(typicalClusters(), 1, auto),
                "Cluster inbound|9090",
                "typed_extension_protocol_options");
    }

    @Test
    void refusesAnotherListenerOrNone() {
        assertThatThrownBy(() -> XdsTranslator.translate("v", List.of(), typicalClusters()))
                .isInstanceOf(XdsResourceException.class)
                .hasMessageContaining("exactly one Listener palisade-inbound");
        Listener other =
                XdsFixtures.typical().listener().toBuilder().setName("outbound").build();
        assertThatThrownBy(() -> XdsTranslator.translate("v", List.of(other), typicalClusters()))
                .isInstanceOf(XdsResourceException.class);
    }

    // --- acceptance ---

    @Test
    void translatesTheControlPlanesShape() throws Exception {
        ProxyConfig config = translate(XdsFixtures.typical().listener(), typicalClusters());

        assertThat(config.version()).isEqualTo("v1/c1");
        assertThat(config.inbound()).containsOnlyKeys(8080, 9090, 5432);
        InboundPort http = config.inboundPort(8080);
        assertThat(http.protocol()).isEqualTo(AppProtocol.HTTP);
        assertThat(http.mode()).isEqualTo(PeerMode.STRICT);
        assertThat(http.engine().policyCount()).isEqualTo(1);
        assertThat(http.engine().version()).isEqualTo("v1/c1");
        InboundPort grpc = config.inboundPort(9090);
        assertThat(grpc.protocol()).isEqualTo(AppProtocol.HTTP2);
        assertThat(grpc.mode()).isEqualTo(PeerMode.PERMISSIVE);
        InboundPort tcp = config.inboundPort(5432);
        assertThat(tcp.protocol()).isEqualTo(AppProtocol.TCP);
        assertThat(tcp.engine().policyCount()).isEqualTo(1);

        InetSocketAddress payments = new InetSocketAddress("10.0.0.9", 8443);
        assertThat(config.destination(payments))
                .isEqualTo(new Destination("outbound|8443||payments.shop", payments, SpiffeId.parse(PAYMENTS)));
    }

    @Test
    void aWorkloadWithoutPortsGetsAnEmptyConfig() throws Exception {
        ProxyConfig config = translate(listener().build(), List.of());
        assertThat(config.inbound()).isEmpty();
        assertThat(config.outbound()).isEmpty();
    }

    @Test
    void opaquePortsCompileTheirNetworkRbac() throws Exception {
        Listener l = listener()
                .addFilterChains(tlsChain(5432, tcpFilters(5432, List.of(allowTcp(PAYMENTS)))))
                .addFilterChains(plaintextChain(5432, tcpFilters(5432, List.of(allowTcp(PAYMENTS)))))
                .build();
        ProxyConfig config = translate(l, List.of(inboundCluster(5432, false)));
        assertThat(config.inboundPort(5432).mode()).isEqualTo(PeerMode.PERMISSIVE);
        assertThat(config.inboundPort(5432).protocol()).isEqualTo(AppProtocol.TCP);
    }

    private static HttpConnectionManager unpack(Filter filter) {
        try {
            return filter.getTypedConfig().unpack(HttpConnectionManager.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
