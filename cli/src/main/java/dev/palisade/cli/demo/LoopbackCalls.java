package dev.palisade.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.palisade.cli.demo.DemoRun.Workload;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;

/** The loopback demo's calls, made in the demo's own JVM: the app dials its sidecar's explicit upstream listener. */
final class LoopbackCalls implements MeshCalls {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final DemoClient client = new DemoClient();

    @Override
    public DemoClient.HttpResult get(Workload from, Workload to, String path, Map<String, String> headers)
            throws IOException, InterruptedException {
        return client.get(URI.create("http://" + from.address() + ":" + upstreamPort(to) + path), headers);
    }

    @Override
    public DemoClient.GrpcResult grpc(Workload from, MethodDescriptor<byte[], byte[]> method)
            throws InterruptedException {
        return DemoClient.grpc(method, new InetSocketAddress(from.address(), DemoRun.PAYMENTS_UPSTREAM));
    }

    @Override
    public String plaintext(Workload to) {
        return DemoClient.plaintext(new InetSocketAddress(to.address(), to.port()), "/orders");
    }

    @Override
    public JsonNode admin(Workload w, String path) throws IOException, InterruptedException {
        return JSON.readTree(client.get(w.admin(path), Map.of()).body());
    }

    private static int upstreamPort(Workload to) {
        return to == DemoRun.PAYMENTS ? DemoRun.PAYMENTS_UPSTREAM : DemoRun.ORDERS_UPSTREAM;
    }

    @Override
    public void close() {
        client.close();
    }
}
