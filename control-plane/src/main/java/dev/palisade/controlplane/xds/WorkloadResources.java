package dev.palisade.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.config.MtlsMode;
import dev.palisade.controlplane.policy.CompiledWorkloadPolicy;
import dev.palisade.controlplane.policy.PolicySet;
import dev.palisade.controlplane.policy.PortProtocol;
import dev.palisade.controlplane.policy.Workload;
import dev.palisade.controlplane.policy.WorkloadPort;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Turns one workload's compiled policy into the Envoy v3 resources its sidecar receives: one inbound
 * {@link Listener} and the {@link Cluster}s it needs.
 *
 * <p>Inbound listener {@value #INBOUND_LISTENER}: a TLS inspector, then per declared port a filter chain matching
 * {@code destination_port} and {@code transport_protocol: tls}, with a {@link DownstreamTlsContext} that requires a
 * client certificate (SDS names {@value #SVID_SECRET} and {@value #BUNDLE_SECRET}, as Istio names them). HTTP ports
 * run an {@code http_connection_manager} whose HTTP filters are the compiled {@code envoy.filters.http.rbac} list,
 * then the router to cluster {@code inbound|<port>}; opaque TCP ports run the {@code envoy.filters.network.rbac}
 * list, then {@code tcp_proxy}. A port whose PeerAuthentication mode is PERMISSIVE gets a second chain for
 * {@code transport_protocol: raw_buffer} with the same filters and no TLS: STRICT is the absence of that chain.
 *
 * <p>Inbound clusters {@code inbound|<port>} point at {@code 127.0.0.1:<port>}; for HTTP2 and GRPC ports they carry
 * {@value #HTTP_PROTOCOL_OPTIONS} with explicit HTTP/2, so that the sidecar forwards to the app over HTTP/2.
 *
 * <p>Outbound: one cluster {@code outbound|<port>||<name>.<namespace>} per port of every other workload, whose
 * {@link UpstreamTlsContext} names the destination's SPIFFE ID as the only acceptable server SAN.
 *
 * <p>The snapshot version is a hash of the resources, so a policy change that does not touch a workload does not
 * push anything to its sidecar.
 */
public final class WorkloadResources {
    public static final String INBOUND_LISTENER = "palisade-inbound";
    public static final String SVID_SECRET = "default";
    public static final String BUNDLE_SECRET = "ROOTCA";
    public static final int INBOUND_PORT = 15006;
    /** The key of the upstream HTTP protocol options in a cluster's {@code typed_extension_protocol_options}. */
    public static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    private WorkloadResources() {}

    /** The snapshot for {@code compiled.workload()}'s sidecar. */
    public static Snapshot snapshot(CompiledWorkloadPolicy compiled, PolicySet set, MeshConfig mesh) {
        Listener inbound = inboundListener(compiled);
        List<Cluster> clusters = new ArrayList<>(inboundClusters(compiled.workload()));
        clusters.addAll(outboundClusters(compiled.workload(), set, mesh));
        String version = hash(inbound, clusters);
        return Snapshot.create(clusters, List.of(), List.of(inbound), List.of(), List.of(), version);
    }

    static Listener inboundListener(CompiledWorkloadPolicy compiled) {
        Listener.Builder listener = Listener.newBuilder()
                .setName(INBOUND_LISTENER)
                .setStatPrefix("inbound")
                .setAddress(address("0.0.0.0", INBOUND_PORT))
                .addListenerFilters(ListenerFilter.newBuilder()
                        .setName("envoy.filters.listener.tls_inspector")
                        .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())));
        for (WorkloadPort port : compiled.workload().ports()) {
            List<Filter> filters =
                    port.protocol().isOpaque() ? tcpFilters(compiled, port) : httpFilters(compiled, port);
            listener.addFilterChains(FilterChain.newBuilder()
                    .setName("inbound|" + port.port() + "|tls")
                    .setFilterChainMatch(FilterChainMatch.newBuilder()
                            .setDestinationPort(UInt32Value.of(port.port()))
                            .setTransportProtocol("tls"))
                    .setTransportSocket(TransportSocket.newBuilder()
                            .setName("envoy.transport_sockets.tls")
                            .setTypedConfig(Any.pack(DownstreamTlsContext.newBuilder()
                                    .setRequireClientCertificate(BoolValue.of(true))
                                    .setCommonTlsContext(commonTlsContext(List.of()))
                                    .build())))
                    .addAllFilters(filters));
            if (compiled.mtls().modeFor(port.port()) == MtlsMode.PERMISSIVE) {
                listener.addFilterChains(FilterChain.newBuilder()
                        .setName("inbound|" + port.port() + "|plaintext")
                        .setFilterChainMatch(FilterChainMatch.newBuilder()
                                .setDestinationPort(UInt32Value.of(port.port()))
                                .setTransportProtocol("raw_buffer"))
                        .addAllFilters(filters));
            }
        }
        return listener.build();
    }

    private static List<Filter> httpFilters(CompiledWorkloadPolicy compiled, WorkloadPort port) {
        HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder()
                .setStatPrefix("inbound_" + port.port())
                .setRouteConfig(RouteConfiguration.newBuilder()
                        .setName("inbound|" + port.port())
                        .addVirtualHosts(VirtualHost.newBuilder()
                                .setName("inbound|" + port.port())
                                .addDomains("*")
                                .addRoutes(Route.newBuilder()
                                        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                                        .setRoute(RouteAction.newBuilder().setCluster(inboundCluster(port))))));
        for (var rbac : compiled.httpFilters()) {
            hcm.addHttpFilters(
                    HttpFilter.newBuilder().setName("envoy.filters.http.rbac").setTypedConfig(Any.pack(rbac)));
        }
        hcm.addHttpFilters(HttpFilter.newBuilder()
                .setName("envoy.filters.http.router")
                .setTypedConfig(Any.pack(Router.getDefaultInstance())));
        return List.of(Filter.newBuilder()
                .setName("envoy.filters.network.http_connection_manager")
                .setTypedConfig(Any.pack(hcm.build()))
                .build());
    }

    private static List<Filter> tcpFilters(CompiledWorkloadPolicy compiled, WorkloadPort port) {
        List<Filter> filters = new ArrayList<>();
        for (var rbac : compiled.networkFilters()) {
            filters.add(Filter.newBuilder()
                    .setName("envoy.filters.network.rbac")
                    .setTypedConfig(Any.pack(rbac))
                    .build());
        }
        filters.add(Filter.newBuilder()
                .setName("envoy.filters.network.tcp_proxy")
                .setTypedConfig(Any.pack(TcpProxy.newBuilder()
                        .setStatPrefix("inbound_" + port.port())
                        .setCluster(inboundCluster(port))
                        .build()))
                .build());
        return filters;
    }

    static List<Cluster> inboundClusters(Workload workload) {
        List<Cluster> clusters = new ArrayList<>();
        for (WorkloadPort port : workload.ports()) {
            Cluster.Builder cluster = staticCluster(inboundCluster(port), "127.0.0.1", port.port());
            if (port.protocol() == PortProtocol.HTTP2 || port.protocol() == PortProtocol.GRPC) {
                // The app speaks HTTP/2 (prior knowledge) on this port: the sidecar must not downgrade gRPC to
                // HTTP/1.1. Envoy's way to say so, and the sidecar's only signal for the port's protocol.
                cluster.putTypedExtensionProtocolOptions(
                        HTTP_PROTOCOL_OPTIONS,
                        Any.pack(HttpProtocolOptions.newBuilder()
                                .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                                        .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                                .build()));
            }
            clusters.add(cluster.build());
        }
        return clusters;
    }

    static List<Cluster> outboundClusters(Workload self, PolicySet set, MeshConfig mesh) {
        List<Cluster> clusters = new ArrayList<>();
        for (Workload destination : set.workloads()) {
            if (destination.ref().equals(self.ref())) {
                continue;
            }
            SpiffeId expected = destination.spiffeId(mesh.trustDomain());
            for (WorkloadPort port : destination.ports()) {
                UpstreamTlsContext tls = UpstreamTlsContext.newBuilder()
                        .setCommonTlsContext(commonTlsContext(List.of(expected.toString())))
                        .build();
                clusters.add(staticCluster(outboundCluster(destination, port), destination.address(), port.port())
                        .setTransportSocket(TransportSocket.newBuilder()
                                .setName("envoy.transport_sockets.tls")
                                .setTypedConfig(Any.pack(tls)))
                        .build());
            }
        }
        return clusters;
    }

    /** {@code outbound|<port>||<name>.<namespace>}, Istio's naming. */
    public static String outboundCluster(Workload destination, WorkloadPort port) {
        return "outbound|" + port.port() + "||" + destination.name() + "." + destination.namespace();
    }

    static String inboundCluster(WorkloadPort port) {
        return "inbound|" + port.port();
    }

    private static CommonTlsContext commonTlsContext(List<String> expectedSans) {
        CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder();
        for (String san : expectedSans) {
            validation.addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                    .setSanType(SubjectAltNameMatcher.SanType.URI)
                    .setMatcher(StringMatcher.newBuilder().setExact(san)));
        }
        return CommonTlsContext.newBuilder()
                .addTlsCertificateSdsSecretConfigs(SdsSecretConfig.newBuilder().setName(SVID_SECRET))
                .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                        .setDefaultValidationContext(validation)
                        .setValidationContextSdsSecretConfig(
                                SdsSecretConfig.newBuilder().setName(BUNDLE_SECRET)))
                .build();
    }

    private static Cluster.Builder staticCluster(String name, String host, int port) {
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

    private static Address address(String host, int port) {
        return Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port))
                .build();
    }

    private static String hash(Listener listener, List<Cluster> clusters) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            update(digest, listener);
            for (Message c : clusters) {
                update(digest, c);
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void update(MessageDigest digest, Message message) {
        // Deterministic serialization: the same resources always hash the same.
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CodedOutputStream coded = CodedOutputStream.newInstance(out);
            coded.useDeterministicSerialization();
            message.writeTo(coded);
            coded.flush();
            digest.update(out.toByteArray());
            digest.update(message.getDescriptorForType().getFullName().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
