package dev.palisade.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import dev.palisade.controlplane.policy.PortProtocol;
import dev.palisade.controlplane.policy.Workload;
import dev.palisade.controlplane.policy.WorkloadPort;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class WorkloadResourcesTest {

    private static final Workload WORKLOAD = Workload.builder("shop", "orders")
            .serviceAccount("orders")
            .address("10.0.0.7")
            .ports(List.of(
                    new WorkloadPort("http", 8080, PortProtocol.HTTP),
                    new WorkloadPort("h2", 8081, PortProtocol.HTTP2),
                    new WorkloadPort("grpc", 9090, PortProtocol.GRPC),
                    new WorkloadPort("db", 5432, PortProtocol.TCP)))
            .build();

    private static Map<String, Cluster> inboundClusters() {
        return WorkloadResources.inboundClusters(WORKLOAD).stream()
                .collect(Collectors.toMap(Cluster::getName, Function.identity()));
    }

    @Test
    void http1AndOpaquePortsCarryNoProtocolOptions() {
        Map<String, Cluster> clusters = inboundClusters();
        assertThat(clusters.get("inbound|8080").getTypedExtensionProtocolOptionsMap())
                .isEmpty();
        assertThat(clusters.get("inbound|5432").getTypedExtensionProtocolOptionsMap())
                .isEmpty();
    }

    @Test
    void http2AndGrpcPortsDeclareExplicitHttp2ToTheApp() throws Exception {
        Map<String, Cluster> clusters = inboundClusters();
        for (String name : List.of("inbound|8081", "inbound|9090")) {
            Any options = clusters.get(name)
                    .getTypedExtensionProtocolOptionsMap()
                    .get(WorkloadResources.HTTP_PROTOCOL_OPTIONS);
            assertThat(options).as(name).isNotNull();
            HttpProtocolOptions http = options.unpack(HttpProtocolOptions.class);
            assertThat(http.getExplicitHttpConfig().hasHttp2ProtocolOptions())
                    .as(name)
                    .isTrue();
        }
    }

    @Test
    void inboundClustersPointAtTheAppOnLoopback() {
        Cluster grpc = inboundClusters().get("inbound|9090");
        var address = grpc.getLoadAssignment()
                .getEndpoints(0)
                .getLbEndpoints(0)
                .getEndpoint()
                .getAddress()
                .getSocketAddress();
        assertThat(address.getAddress()).isEqualTo("127.0.0.1");
        assertThat(address.getPortValue()).isEqualTo(9090);
    }
}
