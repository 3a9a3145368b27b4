package dev.palisade.injector.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.palisade.certs.tls.TlsOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.internal.KubernetesDeserializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** helm/palisade through the real helm library (helm-java, Go helm through JNA): lint, template, parse. */
@Timeout(120)
class HelmChartIT {

    private static final Path CHART = Path.of(System.getProperty("palisade.chart", "../helm/palisade"));
    private static final Path EXAMPLES =
            CHART.resolve("../../examples/policies").normalize();
    private static final String NAMESPACE = "palisade-system";
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final ObjectMapper KUBE = new ObjectMapper()
            .registerModule(new SimpleModule().addDeserializer(KubernetesResource.class, new KubernetesDeserializer()));

    private static final Map<String, String> NON_DEFAULT = Map.of(
            "webhook.caBundle.source", "certManager",
            "webhook.failurePolicy", "Ignore",
            "mesh.mtls", "PERMISSIVE",
            "controlPlane.replicas", "3",
            "webhook.kubernetesVersion", "v1.30.2",
            "mesh.defaultPolicy", "deny",
            "flowLogs.otlp.endpoint", "http://otel-collector.observability:4318",
            "flowLogs.otlp.queueSize", "65536",
            "controlPlane.ui.bearerTokenSecret", "palisade-ui");

    // ---- negative cases --------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
        "mesh.mtls,                DISABLE,  mtls",
        "mesh.defaultPolicy,       ALLOW,    defaultPolicy",
        "webhook.failurePolicy,    Never,    failurePolicy",
        "webhook.timeoutSeconds,   60,       timeoutSeconds",
        "webhook.caBundle.source,  vault,    source",
        "controlPlane.minAvailable, 2,       must be below controlPlane.replicas",
        "image.pullPolicy,         Sometimes, pullPolicy",
        "flowLogs.otlp.endpoint,   otel-collector:4318, endpoint",
        "flowLogs.otlp.queueSize,  2000000,  queueSize",
        "proxy.tlsGroups,          x25519,   tlsGroups",
        "proxy.tlsGroups,          X25519;P-256, tlsGroups",
        "proxy.tlsGroups,          X448,     tlsGroups",
    })
    void refusesValuesOutsideTheirRange(String key, String value, String message) {
        assertThatThrownBy(() -> template(Map.of(key, value))).hasMessageContaining(message);
    }

    @Test
    void theSchemasTlsGroupsAreTheOnesTheProxyKnows() throws Exception {
        // helm install refuses a misspelt group; the webhook would otherwise fail at start, naming it.
        String group = "(" + String.join("|", TlsOptions.KNOWN_GROUPS) + ")";
        String pattern = new ObjectMapper()
                .readTree(Files.readString(CHART.resolve("values.schema.json")))
                .at("/properties/proxy/properties/tlsGroups/pattern")
                .asText();
        assertThat(pattern).isEqualTo("^$|^ *" + group + " *(, *" + group + " *)*$");
        assertThat(render(Map.of("proxy.tlsGroups", "P-384, X25519MLKEM768,P-521")))
                .isNotEmpty();
    }

    @Test
    void theRbacHasNoWildcards() {
        for (Map<String, String> values : List.of(Map.<String, String>of(), NON_DEFAULT)) {
            List<PolicyRule> rules = new ArrayList<>();
            render(values).forEach(r -> {
                if (r instanceof ClusterRole role) {
                    rules.addAll(role.getRules());
                } else if (r instanceof Role role) {
                    rules.addAll(role.getRules());
                }
            });

            assertThat(rules).isNotEmpty().allSatisfy(rule -> {
                assertThat(rule.getVerbs()).isNotEmpty().doesNotContain("*");
                assertThat(rule.getResources()).isNotEmpty().noneMatch(r -> r.contains("*"));
                assertThat(rule.getApiGroups()).doesNotContain("*");
                assertThat(rule.getNonResourceURLs()).isEmpty();
            });
        }
    }

    // ---- lint and template -----------------------------------------------------------------------------------------

    @Test
    void lintsCleanInStrictMode() {
        LintResult result = new Helm(CHART).lint().strict().call();

        assertThat(result.isFailed()).as("%s", result.getMessages()).isFalse();
        // Only the "icon is recommended" hint is left: the chart has no icon to point to.
        assertThat(result.getMessages()).allSatisfy(m -> assertThat(m).startsWith("[INFO]"));
    }

    @Test
    void rendersTheDefaultsIntoModelObjects() {
        Map<String, HasMetadata> byName = byKindAndName(render(Map.of()));

        assertThat(byName.keySet())
                .containsExactlyInAnyOrder(
                        "ServiceAccount/palisade-control-plane",
                        "ClusterRole/palisade-palisade-system",
                        "ClusterRoleBinding/palisade-palisade-system",
                        "Role/palisade-control-plane",
                        "RoleBinding/palisade-control-plane",
                        "Service/palisade-control-plane",
                        "Service/palisade-webhook",
                        "Deployment/palisade-control-plane",
                        "PodDisruptionBudget/palisade-control-plane",
                        "MutatingWebhookConfiguration/palisade-palisade-system-injector");

        Deployment deployment = (Deployment) byName.get("Deployment/palisade-control-plane");
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        var pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        var antiAffinity = pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
        assertThat(antiAffinity).singleElement().satisfies(term -> assertThat(
                        term.getPodAffinityTerm().getTopologyKey())
                .isEqualTo("kubernetes.io/hostname"));
        Container controlPlane = container(deployment, "control-plane");
        assertThat(controlPlane.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
        assertThat(controlPlane.getReadinessProbe().getHttpGet().getPort().getStrVal())
                .isEqualTo("admin");
        assertThat(controlPlane.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/ready");
        // No token by default: the control plane keeps /config and /api/ to loopback clients (port-forward).
        assertThat(controlPlane.getEnv()).noneMatch(e -> e.getName().equals("PALISADE_UI_TOKEN"));
        assertThat(controlPlane.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("admin");
            assertThat(p.getContainerPort()).isEqualTo(15014);
        });
        for (Container c : pod.getContainers()) {
            assertThat(c.getSecurityContext().getReadOnlyRootFilesystem())
                    .as(c.getName())
                    .isTrue();
            assertThat(c.getSecurityContext().getRunAsNonRoot()).as(c.getName()).isTrue();
            assertThat(c.getSecurityContext().getCapabilities().getDrop())
                    .as(c.getName())
                    .containsExactly("ALL");
            assertThat(c.getResources().getRequests()).as(c.getName()).containsKeys("cpu", "memory");
        }
        Container webhook = container(deployment, "webhook");
        assertThat(webhook.getArgs())
                .contains(
                        "--failure-policy=Fail",
                        "--kubernetes-version=v1.20.0",
                        "--control-plane=palisade-control-plane.palisade-system.svc:15012",
                        "--mesh-namespace=palisade-system",
                        "--tls-wait=5m");
        assertThat(pod.getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("webhook-certs");
            assertThat(v.getEmptyDir()).isNotNull();
        });

        PodDisruptionBudget pdb = (PodDisruptionBudget) byName.get("PodDisruptionBudget/palisade-control-plane");
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getSelector().getMatchLabels())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());

        Service controlPlaneService = (Service) byName.get("Service/palisade-control-plane");
        assertThat(controlPlaneService.getSpec().getPorts())
                .extracting(p -> p.getName() + ":" + p.getPort())
                .containsExactly("grpc:15012", "admin:15014");
        Service webhookService = (Service) byName.get("Service/palisade-webhook");
        assertThat(webhookService.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getPort()).isEqualTo(443);
            assertThat(p.getTargetPort().getStrVal()).isEqualTo("webhook");
        });

        MutatingWebhookConfiguration configuration = (MutatingWebhookConfiguration)
                byName.get("MutatingWebhookConfiguration/palisade-palisade-system-injector");
        assertThat(configuration.getMetadata().getAnnotations()).isNullOrEmpty();
        assertThat(configuration.getWebhooks()).hasSize(2).allSatisfy(w -> {
            assertThat(w.getFailurePolicy()).isEqualTo("Fail");
            assertThat(w.getTimeoutSeconds()).isEqualTo(10);
            assertThat(w.getSideEffects()).isEqualTo("None");
            assertThat(w.getAdmissionReviewVersions()).containsExactly("v1");
            assertThat(w.getClientConfig().getCaBundle()).isNull();
            assertThat(w.getClientConfig().getService().getName()).isEqualTo("palisade-webhook");
            assertThat(w.getRules()).singleElement().satisfies(rule -> {
                assertThat(rule.getOperations()).containsExactly("CREATE");
                assertThat(rule.getResources()).containsExactly("pods");
            });
        });
        MutatingWebhook byNamespace = configuration.getWebhooks().get(0);
        assertThat(byNamespace.getClientConfig().getService().getPath()).isEqualTo("/mutate");
        assertThat(byNamespace.getNamespaceSelector().getMatchLabels()).containsEntry("palisade.dev/inject", "enabled");
        MutatingWebhook byPod = configuration.getWebhooks().get(1);
        assertThat(byPod.getClientConfig().getService().getPath()).isEqualTo("/mutate/opt-in");
        assertThat(byPod.getObjectSelector().getMatchLabels()).containsEntry("palisade.dev/inject", "true");
        assertThat(byPod.getNamespaceSelector().getMatchExpressions()).anySatisfy(e -> assertThat(e.getValues())
                .contains("kube-system", "kube-public", "kube-node-lease", NAMESPACE));

        ClusterRole role = (ClusterRole) byName.get("ClusterRole/palisade-palisade-system");
        assertThat(role.getRules()).anySatisfy(rule -> {
            assertThat(rule.getResources()).containsExactly("mutatingwebhookconfigurations");
            assertThat(rule.getResourceNames()).containsExactly("palisade-palisade-system-injector");
            assertThat(rule.getVerbs()).containsExactly("get", "patch");
        });
        // The trust-bundle ConfigMap palisade-ca-root goes to namespaces not known at install: cluster-wide.
        assertThat(role.getRules()).anySatisfy(rule -> {
            assertThat(rule.getApiGroups()).containsExactly("");
            assertThat(rule.getResources()).containsExactly("configmaps");
            assertThat(rule.getResourceNames()).isNullOrEmpty();
            assertThat(rule.getVerbs()).containsExactly("get", "list", "watch", "create", "update", "patch");
        });
        assertThat(role.getRules())
                .noneSatisfy(rule -> assertThat(rule.getResources()).contains("secrets"));
        Role secrets = (Role) byName.get("Role/palisade-control-plane");
        assertThat(secrets.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(secrets.getRules()).singleElement().satisfies(r -> assertThat(r.getResources())
                .containsExactly("secrets"));
        assertThat(((ClusterRoleBinding) byName.get("ClusterRoleBinding/palisade-palisade-system")).getSubjects())
                .singleElement()
                .satisfies(s -> assertThat(s.getName()).isEqualTo("palisade-control-plane"));
        assertThat(((RoleBinding) byName.get("RoleBinding/palisade-control-plane"))
                        .getRoleRef()
                        .getName())
                .isEqualTo("palisade-control-plane");
        assertThat(((ServiceAccount) byName.get("ServiceAccount/palisade-control-plane"))
                        .getMetadata()
                        .getNamespace())
                .isEqualTo(NAMESPACE);
        assertThat(controlPlane.getArgs())
                .contains(
                        "--kubernetes",
                        "--trust-domain=cluster.local",
                        "--default-action=allow",
                        "--default-mtls=strict",
                        "--webhook-configuration=palisade-palisade-system-injector",
                        "--webhook-cert-dir=/var/run/palisade/webhook")
                .noneMatch(a -> a.startsWith("--otlp-endpoint"));
    }

    @Test
    void rendersNonDefaultValuesIntoModelObjects() {
        List<KubernetesResource> resources = render(NON_DEFAULT);
        Map<String, HasMetadata> byName = byKindAndName(resources);

        assertThat(byName.keySet())
                .contains(
                        "Issuer/palisade-selfsigned",
                        "Certificate/palisade-webhook-ca",
                        "Issuer/palisade-webhook-ca",
                        "Certificate/palisade-webhook-serving");
        Deployment deployment = (Deployment) byName.get("Deployment/palisade-control-plane");
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
        assertThat(container(deployment, "webhook").getArgs())
                .contains("--failure-policy=Ignore", "--kubernetes-version=v1.30.2")
                .doesNotContain("--tls-wait=5m");
        assertThat(container(deployment, "control-plane").getArgs()).noneMatch(a -> a.startsWith("--webhook-cert-dir"));
        assertThat(container(deployment, "control-plane").getEnv())
                .filteredOn(e -> e.getName().equals("PALISADE_UI_TOKEN"))
                .singleElement()
                .satisfies(e -> assertThat(e.getValueFrom().getSecretKeyRef())
                        .satisfies(ref -> assertThat(ref.getName()).isEqualTo("palisade-ui"))
                        .satisfies(ref -> assertThat(ref.getKey()).isEqualTo("token")));
        assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("webhook-certs");
            assertThat(v.getSecret().getSecretName()).isEqualTo("palisade-webhook-tls");
        });
        MutatingWebhookConfiguration configuration = (MutatingWebhookConfiguration)
                byName.get("MutatingWebhookConfiguration/palisade-palisade-system-injector");
        assertThat(configuration.getMetadata().getAnnotations())
                .containsEntry("cert-manager.io/inject-ca-from", NAMESPACE + "/palisade-webhook-serving");
        assertThat(configuration.getWebhooks())
                .allSatisfy(w -> assertThat(w.getFailurePolicy()).isEqualTo("Ignore"));
        GenericKubernetesResource serving =
                (GenericKubernetesResource) byName.get("Certificate/palisade-webhook-serving");
        assertThat(serving.<List<String>>get("spec", "dnsNames")).contains("palisade-webhook.palisade-system.svc");
        assertThat(serving.<String>get("spec", "secretName")).isEqualTo("palisade-webhook-tls");
        assertThat(container(deployment, "control-plane").getArgs())
                .contains(
                        "--default-mtls=permissive",
                        "--default-action=deny",
                        "--otlp-endpoint=http://otel-collector.observability:4318",
                        "--otlp-queue-size=65536");
        assertThat(((PodDisruptionBudget) byName.get("PodDisruptionBudget/palisade-control-plane"))
                        .getSpec()
                        .getMinAvailable()
                        .getIntVal())
                .isEqualTo(1);
    }

    @Test
    void usesAGivenIssuerWithoutMakingACa() {
        Map<String, HasMetadata> byName = byKindAndName(render(Map.of(
                "webhook.caBundle.source", "certManager",
                "webhook.caBundle.certManager.issuerRef.name", "corp-ca",
                "webhook.caBundle.certManager.issuerRef.kind", "ClusterIssuer")));

        assertThat(byName.keySet()).noneMatch(k -> k.startsWith("Issuer/"));
        GenericKubernetesResource serving =
                (GenericKubernetesResource) byName.get("Certificate/palisade-webhook-serving");
        assertThat(serving.<String>get("spec", "issuerRef", "name")).isEqualTo("corp-ca");
        assertThat(serving.<String>get("spec", "issuerRef", "kind")).isEqualTo("ClusterIssuer");
    }

    @Test
    void aSingleReplicaHasNoDisruptionBudgetAndPodOptInCanBeOff() {
        Map<String, HasMetadata> byName =
                byKindAndName(render(Map.of("controlPlane.replicas", "1", "webhook.podOptIn", "false")));

        assertThat(byName.keySet()).noneMatch(k -> k.startsWith("PodDisruptionBudget/"));
        assertThat(((MutatingWebhookConfiguration)
                                byName.get("MutatingWebhookConfiguration/palisade-palisade-system-injector"))
                        .getWebhooks())
                .extracting(MutatingWebhook::getName)
                .containsExactly("namespace.inject.palisade.dev");
    }

    // ---- CRDs ------------------------------------------------------------------------------------------------------

    @Test
    void theCrdsParseAndDeclareVersionV1OfSecurityPalisadeDev() throws IOException {
        Map<String, CustomResourceDefinition> crds = crds();

        assertThat(crds.keySet())
                .containsExactlyInAnyOrder(
                        "authorizationpolicies.security.palisade.dev", "peerauthentications.security.palisade.dev");
        assertThat(crds.values()).allSatisfy(crd -> {
            assertThat(crd.getSpec().getGroup()).isEqualTo("security.palisade.dev");
            assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
            assertThat(crd.getSpec().getVersions()).singleElement().satisfies(v -> {
                assertThat(v.getName()).isEqualTo("v1");
                assertThat(v.getServed()).isTrue();
                assertThat(v.getStorage()).isTrue();
                assertThat(v.getSubresources().getStatus()).isNotNull();
                assertThat(v.getSchema().getOpenAPIV3Schema().getProperties()).containsKeys("spec", "status");
            });
        });
    }

    @Test
    void theDesignsPolicyAndTheExamplesFitTheSchemas() throws IOException {
        Map<String, JSONSchemaProps> schemas = new LinkedHashMap<>();
        crds().values()
                .forEach(crd -> schemas.put(
                        crd.getSpec().getNames().getKind(),
                        crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema()));
        List<JsonNode> documents = new ArrayList<>();
        // DESIGN.md's example, with the header key quoted: unquoted, '[' ends a plain scalar inside a flow mapping
        // and that YAML does not parse.
        documents.add(
                YAML.readTree(
                        """
                apiVersion: security.palisade.dev/v1
                kind: AuthorizationPolicy
                metadata: {name: payments, namespace: shop}
                spec:
                  selector: {matchLabels: {app: payments}}
                  action: ALLOW
                  dryRun: false
                  rules:
                  - from: [{source: {principals: ["spiffe://cluster.local/ns/shop/sa/checkout"]}}]
                    to:   [{operation: {methods: ["POST"], paths: ["/v1/charge", "/v1/refund/*"], ports: ["8080"]}}]
                    when: [{key: "request.headers[x-tenant]", values: ["acme"]}]
                """));
        if (Files.isDirectory(EXAMPLES)) {
            try (Stream<Path> files = Files.list(EXAMPLES)) {
                for (Path file : files.sorted().toList()) {
                    documents.addAll(YAML.readerFor(JsonNode.class)
                            .<JsonNode>readValues(Files.readString(file))
                            .readAll());
                }
            }
        }
        int checked = 0;
        for (JsonNode document : documents) {
            JSONSchemaProps schema = schemas.get(document.path("kind").asText());
            if (schema != null) {
                assertThat(OpenApiCheck.problems(schema, document))
                        .as("%s", document)
                        .isEmpty();
                checked++;
            }
        }
        // DESIGN.md's policy, and the four policies of examples/policies when the checkout has them
        assertThat(checked).isEqualTo(Files.isDirectory(EXAMPLES) ? 5 : 1);

        JsonNode typo = YAML.readTree(
                """
                apiVersion: security.palisade.dev/v1
                kind: AuthorizationPolicy
                metadata: {name: typo}
                spec:
                  action: PERMIT
                  rules: [{to: [{operation: {method: ["GET"], ports: [8080]}}], when: [{key: request.header.x}]}]
                """);
        assertThat(OpenApiCheck.problems(schemas.get("AuthorizationPolicy"), typo))
                .anySatisfy(p -> assertThat(p).contains("PERMIT"))
                .anySatisfy(p -> assertThat(p).contains("unknown field method"))
                .anySatisfy(p -> assertThat(p).contains("expected string"))
                .anySatisfy(p -> assertThat(p).contains("request.header.x"));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static String template(Map<String, String> values) {
        TemplateCommand command =
                new Helm(CHART).template().withName("palisade").withNamespace(NAMESPACE);
        for (Map.Entry<String, String> value : values.entrySet()) {
            command = command.set(value.getKey(), value.getValue());
        }
        return command.call();
    }

    /** Renders and reads every document into fabric8's model; only cert-manager's kinds have no model class. */
    private static List<KubernetesResource> render(Map<String, String> values) {
        String rendered = template(values);
        List<KubernetesResource> resources = new ArrayList<>();
        try {
            for (JsonNode document : YAML.readerFor(JsonNode.class)
                    .<JsonNode>readValues(rendered)
                    .readAll()) {
                if (document == null || document.isNull() || document.isMissingNode()) {
                    continue;
                }
                KubernetesResource resource = KUBE.treeToValue(document, KubernetesResource.class);
                if (resource instanceof GenericKubernetesResource generic) {
                    assertThat(generic.getApiVersion())
                            .as("%s has no fabric8 model class", generic.getKind())
                            .startsWith("cert-manager.io/");
                }
                resources.add(resource);
            }
        } catch (IOException e) {
            throw new AssertionError("rendered YAML does not parse:\n" + rendered, e);
        }
        assertThat(resources).isNotEmpty();
        return resources;
    }

    private static Map<String, HasMetadata> byKindAndName(List<KubernetesResource> resources) {
        Map<String, HasMetadata> byName = new LinkedHashMap<>();
        for (KubernetesResource r : resources) {
            HasMetadata m = (HasMetadata) r;
            assertThat(byName.put(m.getKind() + "/" + m.getMetadata().getName(), m))
                    .as("duplicate %s/%s", m.getKind(), m.getMetadata().getName())
                    .isNull();
        }
        return byName;
    }

    private static Map<String, CustomResourceDefinition> crds() throws IOException {
        Map<String, CustomResourceDefinition> crds = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(CHART.resolve("crds"))) {
            for (Path file : files.sorted().toList()) {
                CustomResourceDefinition crd = (CustomResourceDefinition)
                        KUBE.treeToValue(YAML.readTree(file.toFile()), KubernetesResource.class);
                crds.put(crd.getMetadata().getName(), crd);
            }
        }
        return crds;
    }

    private static Container container(Deployment deployment, String name) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name));
    }
}
