package dev.palisade.injector.webhook;

import static dev.palisade.injector.TestPods.CONFIG;
import static dev.palisade.injector.TestPods.DEPLOYMENT_POD;
import static dev.palisade.injector.TestPods.V1_28;
import static dev.palisade.injector.TestPods.V1_30;
import static dev.palisade.injector.TestPods.names;
import static dev.palisade.injector.TestPods.pod;
import static dev.palisade.injector.TestPods.tree;
import static dev.palisade.injector.webhook.AdmissionReviews.patch;
import static dev.palisade.injector.webhook.AdmissionReviews.podCreate;
import static dev.palisade.injector.webhook.AdmissionReviews.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.flipkart.zjsonpatch.JsonPatch;
import dev.palisade.injector.mutate.InjectionResult;
import dev.palisade.injector.mutate.KubernetesVersion;
import dev.palisade.injector.mutate.PodContext;
import dev.palisade.injector.mutate.PodJson;
import dev.palisade.injector.mutate.SidecarInjector;
import dev.palisade.testkit.pki.TestCertificate;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The webhook over real HTTPS on loopback, with a serving certificate for the webhook Service's DNS name. */
@Timeout(60)
class WebhookServerIT {

    private static final String SERVICE = "palisade-webhook.palisade-system.svc";
    private static final SidecarInjector injector = new SidecarInjector(CONFIG);
    private static final int MAX_BODY = 64 * 1024;

    @TempDir
    static Path dir;

    private static TestCertificate ca;
    private static WebhookServer server130;
    private static WebhookServer server128;

    @BeforeAll
    static void start() throws Exception {
        ca = TestCertificate.root("webhook-ca");
        TestCertificate serving = TestCertificate.builder()
                .commonName(SERVICE)
                .dnsName(SERVICE)
                .dnsName("palisade-webhook.palisade-system.svc.cluster.local")
                .extendedKeyUsage(org.bouncycastle.asn1.x509.KeyPurposeId.id_kp_serverAuth)
                .issuedBy(ca)
                .build();
        serving.writeTo(dir, "webhook");
        ServingCertificate certificate =
                ServingCertificate.load(dir.resolve("webhook.crt"), dir.resolve("webhook.key"));
        WebhookServerConfig config = WebhookServerConfig.listeningOn(
                        new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0))
                .withMaxBodyBytes(MAX_BODY)
                .withReadTimeout(Duration.ofSeconds(5));
        server130 = WebhookServer.start(
                config,
                certificate,
                new AdmissionReviewHandler(injector, ClusterVersionSource.fixed(V1_30), FailurePolicy.FAIL));
        server128 = WebhookServer.start(
                config,
                certificate,
                new AdmissionReviewHandler(injector, ClusterVersionSource.fixed(V1_28), FailurePolicy.IGNORE));
    }

    @AfterAll
    static void stop() {
        if (server130 != null) {
            server130.close();
        }
        if (server128 != null) {
            server128.close();
        }
    }

    // ---- bad input -------------------------------------------------------------------------------------------------

    @Test
    void answersGarbage400NamingTheProblem() throws Exception {
        try (TlsHttpClient client = connect(server130)) {
            TlsHttpClient.Response response =
                    client.post("/mutate", "application/json", "{not json".getBytes(StandardCharsets.UTF_8));

            assertThat(response.status()).isEqualTo(400);
            assertThat(response.body()).startsWith("request body is not valid JSON");
        }
    }

    @Test
    void answersAWrongApiVersion400() throws Exception {
        String v1beta1 =
                podCreate("u", "shop", tree(DEPLOYMENT_POD)).replace("admission.k8s.io/v1", "admission.k8s.io/v1beta1");
        try (TlsHttpClient client = connect(server130)) {
            TlsHttpClient.Response response =
                    client.post("/mutate", "application/json", v1beta1.getBytes(StandardCharsets.UTF_8));

            assertThat(response.status()).isEqualTo(400);
            assertThat(response.body())
                    .contains("apiVersion 'admission.k8s.io/v1beta1' is not supported")
                    .contains("admissionReviewVersions: [v1]");
        }
    }

    @Test
    void answersAnOversizedBody413AndTheConnectionStaysUsable() throws Exception {
        byte[] big = new byte[MAX_BODY + 1];
        Arrays.fill(big, (byte) ' ');
        try (TlsHttpClient client = connect(server130)) {
            TlsHttpClient.Response response = client.post("/mutate", "application/json", big);

            assertThat(response.status()).isEqualTo(413);
            assertThat(client.request("GET", "/ready").status()).isEqualTo(200);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "GET,    /mutate,        405, POST",
        "PUT,    /mutate/opt-in, 405, POST",
        "POST,   /ready,         405, 'GET, HEAD'",
        "DELETE, /live,          405, 'GET, HEAD'",
        "GET,    /,              404, ",
        "POST,   /validate,      404, ",
        "GET,    /mutate/x,      404, ",
    })
    void answersWrongMethodsAndPaths(String method, String path, int status, String allow) throws Exception {
        try (TlsHttpClient client = connect(server130)) {
            TlsHttpClient.Response response = method.equals("POST")
                    ? client.post(path, "application/json", "{}".getBytes(StandardCharsets.UTF_8))
                    : client.request(method, path);

            assertThat(response.status()).isEqualTo(status);
            assertThat(response.headers().get("allow")).isEqualTo(allow);
        }
    }

    @Test
    void answersANonJsonContentType415() throws Exception {
        try (TlsHttpClient client = connect(server130)) {
            TlsHttpClient.Response response = client.post(
                    "/mutate",
                    "text/yaml",
                    podCreate("u", "shop", tree(DEPLOYMENT_POD)).getBytes(StandardCharsets.UTF_8));

            assertThat(response.status()).isEqualTo(415);
            assertThat(response.body()).contains("content-type 'text/yaml' (expected: application/json)");
        }
    }

    @Test
    void aBadConnectionDoesNotDisturbOthers() throws Exception {
        try (TlsHttpClient good = connect(server130);
                TlsHttpClient garbage = connect(server130);
                Socket plaintext = new Socket()) {
            // not HTTP at all, on an established TLS connection: 400 and closed
            TlsHttpClient.Response response =
                    garbage.raw("\u0001\u0002 NOT HTTP \u0003\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(response.status()).isEqualTo(400);
            assertThat(garbage.isClosedByServer()).isTrue();
            // plaintext HTTP to the TLS port: the handshake fails and only that connection closes
            plaintext.connect(server130.localAddress(), 5_000);
            plaintext.setSoTimeout(5_000);
            OutputStream out = plaintext.getOutputStream();
            out.write("POST /mutate HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readToEnd(plaintext)).isTrue();

            TlsHttpClient.Response ok = good.post(
                    "/mutate",
                    "application/json",
                    podCreate("u-ok", "shop", tree(DEPLOYMENT_POD)).getBytes(StandardCharsets.UTF_8));
            assertThat(ok.status()).isEqualTo(200);
            assertThat(read(ok.body()).path("response").path("allowed").asBoolean())
                    .isTrue();
        }
    }

    @Test
    void aClientThatDoesNotTrustTheCaIsRefused() {
        TestCertificate otherCa = TestCertificate.root("other-ca");

        assertThatThrownBy(() -> TlsHttpClient.connect(server130.localAddress(), otherCa.certificate(), SERVICE))
                .isInstanceOf(SSLHandshakeException.class);
        assertThatThrownBy(() -> TlsHttpClient.connect(server130.localAddress(), ca.certificate(), "evil.example"))
                .isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void aPodWithABadAnnotationIsRefusedUnderFailAndAdmittedWithAWarningUnderIgnore() throws Exception {
        ObjectNode pod = (ObjectNode) tree(DEPLOYMENT_POD);
        ((ObjectNode) pod.get("metadata")).putObject("annotations").put("palisade.dev/opaque-ports", "0");

        JsonNode refused = review(server130, "/mutate", "shop", pod);
        JsonNode admitted = review(server128, "/mutate", "shop", pod);

        assertThat(refused.path("response").path("allowed").asBoolean()).isFalse();
        assertThat(refused.path("response").path("status").path("message").asText())
                .contains("annotation palisade.dev/opaque-ports: '0': '0' is not a port");
        assertThat(patch(refused)).isNull();
        assertThat(admitted.path("response").path("allowed").asBoolean()).isTrue();
        assertThat(admitted.path("response").path("warnings").get(0).asText())
                .startsWith("palisade: sidecar not injected: annotation palisade.dev/opaque-ports");
        assertThat(patch(admitted)).isNull();
    }

    // ---- pods left alone -------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
            opted out            | shop        | 'metadata:\\n'  | 'metadata:\\n  annotations: {palisade.dev/inject: \"false\"}\\n'
            host network         | shop        | 'spec:\\n'      | 'spec:\\n  hostNetwork: true\\n'
            system namespace     | kube-system | 'spec:\\n'      | 'spec:\\n'
            """)
    void leavesAPodAloneWithoutAPatch(String description, String namespace, String from, String to) throws Exception {
        JsonNode pod = tree(DEPLOYMENT_POD.replace(from.replace("\\n", "\n"), to.replace("\\n", "\n")));

        for (WebhookServer server : new WebhookServer[] {server130, server128}) {
            JsonNode review = review(server, "/mutate", namespace, pod);

            assertThat(review.path("response").path("allowed").asBoolean()).isTrue();
            assertThat(review.path("response").has("patch")).isFalse();
            assertThat(review.path("response").has("warnings")).isFalse();
        }
    }

    @Test
    void anAlreadyInjectedPodGetsNoPatch() throws Exception {
        JsonNode original = tree(DEPLOYMENT_POD);
        JsonNode once = JsonPatch.apply(patch(review(server130, "/mutate", "shop", original)), original);

        JsonNode again = review(server130, "/mutate", "shop", once);

        assertThat(again.path("response").path("allowed").asBoolean()).isTrue();
        assertThat(patch(again)).isNull();
    }

    @Test
    void theOptInWebhookInjectsOnlyPodsThatOptIn() throws Exception {
        ObjectNode labelled = (ObjectNode) tree(DEPLOYMENT_POD);
        ((ObjectNode) labelled.get("metadata").get("labels")).put("palisade.dev/inject", "true");

        assertThat(patch(review(server130, "/mutate/opt-in", "default", tree(DEPLOYMENT_POD))))
                .isNull();
        Pod injected = apply(review(server130, "/mutate/opt-in", "default", labelled), labelled);
        assertThat(injected.getMetadata().getAnnotations()).containsEntry("palisade.dev/status", "injected");
    }

    // ---- injection -------------------------------------------------------------------------------------------------

    @Test
    void injectsADeploymentsPodAsANativeSidecarOn130() throws Exception {
        JsonNode original = tree(DEPLOYMENT_POD);

        JsonNode review = review(server130, "/mutate", "shop", original);
        Pod pod = apply(review, original);

        assertThat(review.path("response").path("patchType").asText()).isEqualTo("JSONPatch");
        assertThat(pod).isEqualTo(expected(DEPLOYMENT_POD, V1_30));
        assertThat(pod.getMetadata().getName()).isNull();
        assertThat(pod.getMetadata().getGenerateName()).isEqualTo("web-7d4b9c8f6-");
        assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName())
                .isEqualTo("web-7d4b9c8f6"));
        assertThat(pod.getMetadata().getAnnotations()).containsExactly(entry("palisade.dev/status", "injected"));
        assertThat(pod.getMetadata().getLabels()).containsEntry("palisade.dev/proxy", "enabled");
        assertThat(names(pod.getSpec().getInitContainers())).containsExactly("palisade-init", "palisade-proxy");
        assertThat(pod.getSpec().getInitContainers().get(1).getRestartPolicy()).isEqualTo("Always");
        assertThat(names(pod.getSpec().getContainers())).containsExactly("web");
        assertThat(pod.getSpec().getContainers().get(0))
                .isEqualTo(pod(DEPLOYMENT_POD).getSpec().getContainers().get(0));
        assertThat(pod.getSpec().getVolumes().stream().map(v -> v.getName()))
                .containsExactly("palisade-token", "palisade-ca-root", "palisade-data", "palisade-tmp");
    }

    @Test
    void injectsADeploymentsPodAsTheFirstContainerOn128() throws Exception {
        JsonNode original = tree(DEPLOYMENT_POD);

        Pod pod = apply(review(server128, "/mutate", "shop", original), original);

        assertThat(pod).isEqualTo(expected(DEPLOYMENT_POD, V1_28));
        assertThat(names(pod.getSpec().getInitContainers())).containsExactly("palisade-init");
        assertThat(names(pod.getSpec().getContainers())).containsExactly("palisade-proxy", "web");
        Container proxy = pod.getSpec().getContainers().get(0);
        assertThat(proxy.getRestartPolicy()).isNull();
        assertThat(proxy.getLifecycle().getPostStart().getExec().getCommand()).contains("wait-ready");
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("kubectl.kubernetes.io/default-container", "web");
    }

    @ParameterizedTest(name = "Kubernetes {0}")
    @CsvSource({"1.30, 'palisade-init,palisade-proxy,migrate,seed'", "1.28, 'palisade-init,migrate,seed'"})
    void injectsAPodWithItsOwnInitContainersBeforeThem(String version, String order) throws Exception {
        String yaml = DEPLOYMENT_POD.replace(
                "  containers:\n",
                """
                          initContainers:
                          - {name: migrate, image: migrate:1}
                          - {name: seed, image: seed:1}
                          containers:
                        """);
        JsonNode original = tree(yaml);
        WebhookServer server = version.equals("1.30") ? server130 : server128;

        Pod pod = apply(review(server, "/mutate", "shop", original), original);

        assertThat(pod).isEqualTo(expected(yaml, KubernetesVersion.parse(version)));
        assertThat(names(pod.getSpec().getInitContainers())).containsExactly(order.split(","));
        JsonNode ops = patch(review(server, "/mutate", "shop", original));
        // the pod's own init containers are not rewritten: only insertions before them
        assertThat(ops).allSatisfy(op -> assertThat(op.get("op").asText()).isEqualTo("add"));
    }

    @Test
    void keepsTheConnectionAliveAcrossReviews() throws Exception {
        try (TlsHttpClient client = connect(server130)) {
            for (int i = 0; i < 3; i++) {
                TlsHttpClient.Response response = client.post(
                        "/mutate",
                        "application/json",
                        podCreate("u-" + i, "shop", tree(DEPLOYMENT_POD)).getBytes(StandardCharsets.UTF_8));
                assertThat(response.status()).isEqualTo(200);
                assertThat(read(response.body()).path("response").path("uid").asText())
                        .isEqualTo("u-" + i);
            }
        }
    }

    private static Pod expected(String yaml, KubernetesVersion version) {
        return ((InjectionResult.Injected) injector.inject(pod(yaml), new PodContext("shop", true, version))).pod();
    }

    /** Applies the response's patch to the pod JSON the API server sent, and reads the result as a pod. */
    private static Pod apply(JsonNode review, JsonNode original) {
        JsonNode patch = patch(review);
        assertThat(patch).as("a patch in %s", review).isNotNull();
        return PodJson.toPod(JsonPatch.apply(patch, original));
    }

    private static JsonNode review(WebhookServer server, String path, String namespace, JsonNode pod) throws Exception {
        String uid = UUID.randomUUID().toString();
        try (TlsHttpClient client = connect(server)) {
            TlsHttpClient.Response response = client.post(
                    path, "application/json", podCreate(uid, namespace, pod).getBytes(StandardCharsets.UTF_8));
            assertThat(response.status()).as(response.body()).isEqualTo(200);
            assertThat(response.headers().get("content-type")).isEqualTo("application/json");
            JsonNode review = read(response.body());
            assertThat(review.path("response").path("uid").asText()).isEqualTo(uid);
            return review;
        }
    }

    private static TlsHttpClient connect(WebhookServer server) throws Exception {
        return TlsHttpClient.connect(server.localAddress(), ca.certificate(), SERVICE);
    }

    private static boolean readToEnd(Socket socket) {
        try {
            while (socket.getInputStream().read() >= 0) {
                // drain whatever the server sent (a TLS alert) until it closes
            }
            return true;
        } catch (IOException e) {
            return true;
        }
    }

    private static java.util.Map.Entry<String, String> entry(String key, String value) {
        return java.util.Map.entry(key, value);
    }
}
