package dev.palisade.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.palisade.cli.demo.DemoRun.Workload;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.util.Map;

/**
 * How the scenario's calls are made: from workload {@code from}'s app to workload {@code to}, as that app would make
 * them. On loopback the app dials its sidecar's explicit upstream port ({@link LoopbackCalls}); in network-namespace
 * mode it dials the peer's own address from inside its namespace and capture does the rest ({@link NetnsCalls}).
 */
interface MeshCalls extends AutoCloseable {
    /** An HTTP/1.1 GET of {@code path} on {@code to}. */
    DemoClient.HttpResult get(Workload from, Workload to, String path, Map<String, String> headers)
            throws IOException, InterruptedException;

    /** A {@code payments.v1.Payments} call from {@code from} to payments. */
    DemoClient.GrpcResult grpc(Workload from, MethodDescriptor<byte[], byte[]> method)
            throws IOException, InterruptedException;

    /** A plaintext request to {@code to}'s inbound side from a client outside the mesh: "refused" or "answered". */
    String plaintext(Workload to) throws IOException, InterruptedException;

    /** GET {@code path} on {@code w}'s sidecar admin port, as JSON. */
    JsonNode admin(Workload w, String path) throws IOException, InterruptedException;

    @Override
    void close();
}
