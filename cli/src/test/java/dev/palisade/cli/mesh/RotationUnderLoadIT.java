package dev.palisade.cli.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.cli.demo.DemoRun;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5: certificate rotation and a policy update during a steady request loop — zero failed requests among those
 * allowed before and after. Workload certificates live 1 minute here (renewed at about 30 s), so a bounded loop of
 * at most 75 s sees every sidecar renew at least once; the policy edit happens in the middle of it.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class RotationUnderLoadIT {

    @TempDir
    Path dir;

    @Test
    void rotationAndAPolicyEditDropNoAllowedRequest() throws Exception {
        try (LocalMesh mesh = LocalMesh.start(dir, Duration.ofMinutes(1))) {
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            InetSocketAddress upstream = mesh.upstream("frontend", "orders");
            String base = "http://" + upstream.getHostString() + ":" + upstream.getPort();
            String ordersVersion = mesh.sidecar("orders").config().require().version();
            assertThat(LocalMesh.status(http, base + "/catalog"))
                    .as("before the edit")
                    .isEqualTo(403);

            List<String> failures = new ArrayList<>();
            int requests = 0;
            boolean edited = false;
            long start = System.nanoTime();
            long deadline = start + TimeUnit.SECONDS.toNanos(75);
            String firstSerialFrontend = serial(mesh, "frontend");
            String firstSerialOrders = serial(mesh, "orders");
            while (System.nanoTime() < deadline && requests < 5000) {
                int status = LocalMesh.status(http, base + "/orders/" + requests);
                requests++;
                if (status != 200) {
                    failures.add("request " + requests + ": " + status);
                }
                if (!edited && System.nanoTime() - start > TimeUnit.SECONDS.toNanos(10)) {
                    Files.writeString(
                            dir.resolve("policies/catalog.yaml"), DemoRun.CATALOG_POLICY, StandardCharsets.UTF_8);
                    edited = true;
                }
                if (edited
                        && !serial(mesh, "frontend").equals(firstSerialFrontend)
                        && !serial(mesh, "orders").equals(firstSerialOrders)
                        && !mesh.sidecar("orders").config().require().version().equals(ordersVersion)
                        && System.nanoTime() - start > TimeUnit.SECONDS.toNanos(40)) {
                    break;
                }
                Thread.sleep(20);
            }
            assertThat(failures)
                    .as("failed requests among %d allowed ones", requests)
                    .isEmpty();
            assertThat(serial(mesh, "frontend")).as("frontend renewed its SVID").isNotEqualTo(firstSerialFrontend);
            assertThat(serial(mesh, "orders")).as("orders renewed its SVID").isNotEqualTo(firstSerialOrders);
            assertThat(mesh.sidecar("orders").config().require().version())
                    .as("orders received the edited policy")
                    .isNotEqualTo(ordersVersion);
            assertThat(LocalMesh.status(http, base + "/catalog"))
                    .as("after the edit")
                    .isEqualTo(200);
        }
    }

    /** The serial of a sidecar's current SVID, from its admin /certs. */
    private static String serial(LocalMesh mesh, String name) throws Exception {
        InetSocketAddress admin = mesh.sidecar(name).adminAddress();
        HttpResponse<String> certs = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(
                                        "http://" + admin.getHostString() + ":" + admin.getPort() + "/certs"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return MeshEndToEndIT.JSON
                .readTree(certs.body())
                .path("svid")
                .path("serial")
                .asText();
    }
}
