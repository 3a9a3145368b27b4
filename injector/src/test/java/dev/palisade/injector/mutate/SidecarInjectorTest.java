package dev.palisade.injector.mutate;

import static dev.palisade.injector.TestPods.CONFIG;
import static dev.palisade.injector.TestPods.DEPLOYMENT_POD;
import static dev.palisade.injector.TestPods.IMAGE;
import static dev.palisade.injector.TestPods.V1_28;
import static dev.palisade.injector.TestPods.V1_30;
import static dev.palisade.injector.TestPods.container;
import static dev.palisade.injector.TestPods.names;
import static dev.palisade.injector.TestPods.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapKeySelectorBuilder;
import io.fabric8.kubernetes.api.model.ConfigMapVolumeSourceBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class SidecarInjectorTest {

    private static final SidecarInjector injector = new SidecarInjector(CONFIG);
    private static final PodContext SELECTED_130 = new PodContext("shop", true, V1_30);

    // ---- negative cases: skips, refusals ---------------------------------------------------------------------------

    static Stream<Arguments> skips() {
        return Stream.of(
                Arguments.of(
                        "status annotation",
                        withAnnotations("palisade.dev/status: injected"),
                        SELECTED_130,
                        SkipReason.ALREADY_INJECTED),
                Arguments.of(
                        "proxy as a regular container",
                        DEPLOYMENT_POD.replace(
                                "  - name: web\n", "  - {name: palisade-proxy, image: x}\n  - name: web\n"),
                        SELECTED_130,
                        SkipReason.ALREADY_INJECTED),
                Arguments.of(
                        "proxy as a native sidecar, even with a bad annotation",
                        withAnnotations("palisade.dev/exclude-inbound-ports: nonsense")
                                .replace(
                                        "spec:\n",
                                        "spec:\n  initContainers:\n  - {name: palisade-proxy, image: x,"
                                                + " restartPolicy: Always}\n"),
                        SELECTED_130,
                        SkipReason.ALREADY_INJECTED),
                Arguments.of(
                        "opted out by annotation",
                        withAnnotations("palisade.dev/inject: \"false\""),
                        SELECTED_130,
                        SkipReason.OPTED_OUT),
                Arguments.of(
                        "opted out by label",
                        DEPLOYMENT_POD.replace(
                                "labels: {app: web,", "labels: {palisade.dev/inject: \"false\", app: web,"),
                        SELECTED_130,
                        SkipReason.OPTED_OUT),
                Arguments.of(
                        "annotation false beats label true",
                        withAnnotations("palisade.dev/inject: \"False\"")
                                .replace("labels: {app: web,", "labels: {palisade.dev/inject: \"true\", app: web,"),
                        new PodContext("shop", false, V1_30),
                        SkipReason.OPTED_OUT),
                Arguments.of(
                        "kube-system, even opted in",
                        withAnnotations("palisade.dev/inject: \"true\""),
                        new PodContext("kube-system", true, V1_30),
                        SkipReason.SYSTEM_NAMESPACE),
                Arguments.of(
                        "kube-public",
                        DEPLOYMENT_POD,
                        new PodContext("kube-public", true, V1_30),
                        SkipReason.SYSTEM_NAMESPACE),
                Arguments.of(
                        "kube-node-lease",
                        DEPLOYMENT_POD,
                        new PodContext("kube-node-lease", true, V1_30),
                        SkipReason.SYSTEM_NAMESPACE),
                Arguments.of(
                        "the mesh's own namespace",
                        DEPLOYMENT_POD,
                        new PodContext("palisade-system", true, V1_30),
                        SkipReason.SYSTEM_NAMESPACE),
                Arguments.of(
                        "host network",
                        DEPLOYMENT_POD.replace("spec:\n", "spec:\n  hostNetwork: true\n"),
                        SELECTED_130,
                        SkipReason.HOST_NETWORK),
                Arguments.of(
                        "namespace not selected and no opt-in",
                        DEPLOYMENT_POD,
                        new PodContext("shop", false, V1_30),
                        SkipReason.NAMESPACE_NOT_ENABLED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("skips")
    void leavesThePodAloneForEachSkipReason(String description, String yaml, PodContext context, SkipReason reason) {
        Pod pod = pod(yaml);

        InjectionResult result = injector.inject(pod, context);

        assertThat(result).isEqualTo(new InjectionResult.Skipped(reason));
        assertThat(pod).isEqualTo(pod(yaml));
    }

    @ParameterizedTest(name = "{0}: \"{1}\"")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
            palisade.dev/inject                 | yes          | label or annotation
            palisade.dev/exclude-inbound-ports  | 80a          | '80a' is not a port
            palisade.dev/exclude-inbound-ports  | 0            | '0' is not a port
            palisade.dev/exclude-inbound-ports  | 65536        | '65536' is not a port
            palisade.dev/exclude-inbound-ports  | 80,,90       | empty entry
            palisade.dev/exclude-inbound-ports  | -1           | '-1' is not a port
            palisade.dev/exclude-inbound-ports  | 8000-8100    | '8000-8100' is not a port
            palisade.dev/exclude-inbound-ports  | ' , '        | empty entry
            palisade.dev/exclude-outbound-ports | 443,https    | 'https' is not a port
            palisade.dev/opaque-ports           | 99999        | '99999' is not a port
            palisade.dev/proxy-cpu              | lots         | 'lots' is not a Kubernetes quantity
            palisade.dev/proxy-cpu              | 0            | '0' is not positive
            palisade.dev/proxy-cpu              | -100m        | '-100m' is not a Kubernetes quantity
            palisade.dev/proxy-cpu              | 1.5.3        | '1.5.3' is not a Kubernetes quantity
            palisade.dev/proxy-memory           | 12XB         | '12XB' is not a Kubernetes quantity
            palisade.dev/log-level              | verbose      | 'verbose' is not a log level
            palisade.dev/proxy-jvm-options      | Xmx64m       | (expected: JVM options such as -Xmx48m
            palisade.dev/proxy-jvm-options      | -version     | (expected: options of the JVM that runs the proxy
            palisade.dev/proxy-jvm-options      | -javaagent:/x.jar | is not allowed in a pod's annotation
            """)
    void refusesTheWholePodForABadAnnotation(String annotation, String value, String expected) {
        Pod pod = pod(withAnnotations(annotation + ": \"" + value + "\""));

        InjectionResult result = injector.inject(pod, SELECTED_130);

        assertThat(result).isInstanceOf(InjectionResult.Refused.class);
        String message = ((InjectionResult.Refused) result).message();
        assertThat(message).contains(annotation).contains("'" + value + "'");
        if (!expected.equals("label or annotation")) {
            assertThat(message).contains(expected);
        } else {
            assertThat(message)
                    .startsWith("annotation palisade.dev/inject")
                    .contains("expected: \"true\" or \"false\"");
        }
    }

    @Test
    void reportsEveryBadAnnotationAtOnce() {
        Pod pod = pod(withAnnotations(
                "palisade.dev/exclude-inbound-ports: \"x\"",
                "palisade.dev/proxy-memory: \"lots\"",
                "palisade.dev/log-level: \"loud\""));

        InjectionResult result = injector.inject(pod, SELECTED_130);

        assertThat(((InjectionResult.Refused) result).problems())
                .hasSize(3)
                .anySatisfy(p -> assertThat(p).startsWith("annotation palisade.dev/exclude-inbound-ports: 'x'"))
                .anySatisfy(p -> assertThat(p).startsWith("annotation palisade.dev/proxy-memory: 'lots'"))
                .anySatisfy(p -> assertThat(p).startsWith("annotation palisade.dev/log-level: 'loud'"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
            container named palisade-init | '  - name: web\\n' | '  - {name: palisade-init, image: x}\\n  - name: web\\n' | container named palisade-init
            volume named palisade-token   | 'spec:\\n'         | 'spec:\\n  volumes: [{name: palisade-token, emptyDir: {}}]\\n' | volume named palisade-token
            volume named palisade-ca-root | 'spec:\\n'         | 'spec:\\n  volumes: [{name: palisade-ca-root, emptyDir: {}}]\\n' | volume named palisade-ca-root
            app runs as the proxy's UID   | 'spec:\\n'         | 'spec:\\n  securityContext: {runAsUser: 1337}\\n' | container web runs as UID 1337
            """)
    void refusesAPodThatCollidesWithWhatWouldBeInjected(String description, String from, String to, String expected) {
        Pod pod = pod(DEPLOYMENT_POD.replace(from.replace("\\n", "\n"), to.replace("\\n", "\n")));

        InjectionResult result = injector.inject(pod, SELECTED_130);

        assertThat(result).isInstanceOf(InjectionResult.Refused.class);
        assertThat(((InjectionResult.Refused) result).message()).contains(expected);
    }

    @Test
    void refusesAPodWithoutSpec() {
        assertThat(injector.inject(new Pod(), SELECTED_130))
                .isEqualTo(new InjectionResult.Refused(List.of("the pod has no spec")));
    }

    // ---- injection -------------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "namespace selected,            true,  '',                                   the namespace is selected",
        "opted in by annotation,        false, 'palisade.dev/inject: \"true\"',      opted in",
        "opted in by annotation Enabled, false, 'palisade.dev/inject: \"Enabled\"',  opted in",
    })
    void injectsASelectedOrOptedInPod(String description, boolean selected, String annotation, String note) {
        String yaml = annotation.isEmpty() ? DEPLOYMENT_POD : withAnnotations(annotation);

        InjectionResult result = injector.inject(pod(yaml), new PodContext("shop", selected, V1_30));

        assertThat(result).isInstanceOf(InjectionResult.Injected.class);
        assertThat(((InjectionResult.Injected) result).notes())
                .first()
                .asString()
                .contains(note);
    }

    @Test
    void injectsAPodThatOptsInWithALabel() {
        String yaml = DEPLOYMENT_POD.replace("labels: {app: web,", "labels: {palisade.dev/inject: \"true\", app: web,");

        assertThat(injector.inject(pod(yaml), new PodContext("shop", false, V1_30)))
                .isInstanceOf(InjectionResult.Injected.class);
    }

    @ParameterizedTest(name = "Kubernetes {0}")
    @CsvSource({"1.29", "1.30", "v1.31.2", "1.33+"})
    void runsTheProxyAsANativeSidecarFrom129(String version) {
        Pod injected = inject(DEPLOYMENT_POD, new PodContext("shop", true, KubernetesVersion.parse(version)));

        assertThat(names(injected.getSpec().getInitContainers())).containsExactly("palisade-init", "palisade-proxy");
        assertThat(names(injected.getSpec().getContainers())).containsExactly("web");
        Container proxy = injected.getSpec().getInitContainers().get(1);
        assertThat(proxy.getRestartPolicy()).isEqualTo("Always");
        assertThat(proxy.getLifecycle()).isNull();
        assertThat(proxy.getStartupProbe().getHttpGet().getPath()).isEqualTo("/ready");
        assertThat(injected.getMetadata().getAnnotations()).doesNotContainKey(PodAnnotations.DEFAULT_CONTAINER);
    }

    @ParameterizedTest(name = "Kubernetes {0}")
    @CsvSource({"1.28", "v1.27.9-eks-5e0fdde", "1.20"})
    void runsTheProxyAsTheFirstContainerBefore129AndTheAppWaitsForIt(String version) {
        Pod injected = inject(DEPLOYMENT_POD, new PodContext("shop", true, KubernetesVersion.parse(version)));

        assertThat(names(injected.getSpec().getInitContainers())).containsExactly("palisade-init");
        assertThat(names(injected.getSpec().getContainers())).containsExactly("palisade-proxy", "web");
        Container proxy = injected.getSpec().getContainers().get(0);
        assertThat(proxy.getRestartPolicy()).isNull();
        assertThat(proxy.getLifecycle().getPostStart().getExec().getCommand())
                .containsExactly("palisade", "wait-ready", "--port", "15021", "--timeout", "120s");
        assertThat(injected.getMetadata().getAnnotations()).containsEntry(PodAnnotations.DEFAULT_CONTAINER, "web");
    }

    @Test
    void keepsAnExistingDefaultContainerAnnotation() {
        Pod injected = inject(
                withAnnotations("kubectl.kubernetes.io/default-container: sidecar"),
                new PodContext("shop", true, V1_28));

        assertThat(injected.getMetadata().getAnnotations()).containsEntry(PodAnnotations.DEFAULT_CONTAINER, "sidecar");
    }

    @ParameterizedTest(name = "Kubernetes {0}")
    @CsvSource({
        "1.30, 'palisade-init,palisade-proxy,migrate,seed', 'web'",
        "1.28, 'palisade-init,migrate,seed',                'palisade-proxy,web'",
    })
    void runsThePodsOwnInitContainersAfterTheProxy(String version, String initOrder, String containerOrder) {
        String yaml = DEPLOYMENT_POD.replace(
                "  containers:\n",
                """
                          initContainers:
                          - {name: migrate, image: migrate:1}
                          - {name: seed, image: seed:1}
                          containers:
                        """);

        Pod injected = inject(yaml, new PodContext("shop", true, KubernetesVersion.parse(version)));

        assertThat(names(injected.getSpec().getInitContainers())).containsExactly(initOrder.split(","));
        assertThat(names(injected.getSpec().getContainers())).containsExactly(containerOrder.split(","));
        assertThat(container(injected.getSpec().getInitContainers(), "migrate"))
                .isEqualTo(pod(yaml).getSpec().getInitContainers().get(0));
    }

    @ParameterizedTest(name = "Kubernetes {0}")
    @CsvSource({"1.28", "1.29", "1.30"})
    void injectingAnInjectedPodChangesNothing(String version) {
        PodContext context = new PodContext("shop", true, KubernetesVersion.parse(version));
        Pod once = inject(DEPLOYMENT_POD, context);

        InjectionResult twice = injector.inject(once, context);

        assertThat(twice).isEqualTo(new InjectionResult.Skipped(SkipReason.ALREADY_INJECTED));
    }

    @Test
    void neverChangesItsInput() {
        Pod original = pod(DEPLOYMENT_POD);

        inject(DEPLOYMENT_POD, SELECTED_130);
        InjectionResult result = injector.inject(original, SELECTED_130);

        assertThat(result).isInstanceOf(InjectionResult.Injected.class);
        assertThat(original).isEqualTo(pod(DEPLOYMENT_POD));
    }

    @Test
    void marksTheInjectedPod() {
        Pod injected = inject(DEPLOYMENT_POD, SELECTED_130);

        assertThat(injected.getMetadata().getAnnotations()).containsEntry("palisade.dev/status", "injected");
        assertThat(injected.getMetadata().getLabels())
                .containsEntry("palisade.dev/proxy", "enabled")
                .containsEntry("app", "web");
        assertThat(injected.getMetadata().getGenerateName()).isEqualTo("web-7d4b9c8f6-");
    }

    @Test
    void theAppsProbePortsBypassInboundCapture() {
        String yaml =
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: api, annotations: {palisade.dev/exclude-inbound-ports: "9443, 7000"}}
                spec:
                  containers:
                  - name: api
                    image: api:1
                    ports: [{name: http, containerPort: 8080}, {name: admin, containerPort: 8081}]
                    readinessProbe: {httpGet: {path: /healthz, port: admin}}
                    livenessProbe: {httpGet: {path: /livez, port: 8080}}
                    startupProbe: {tcpSocket: {port: nope}}
                  - name: grpc
                    image: grpc:1
                    livenessProbe: {grpc: {port: 9090}}
                    readinessProbe: {exec: {command: [true]}}
                """;

        InjectionResult.Injected result = (InjectionResult.Injected) injector.inject(pod(yaml), SELECTED_130);

        Container init = result.pod().getSpec().getInitContainers().get(0);
        assertThat(argument(init, "--exclude-inbound-ports")).isEqualTo("7000,8080,8081,9090,9443,15000,15021");
        assertThat(result.notes())
                .contains("app probe ports bypass inbound capture: 8080,8081,9090")
                .anySatisfy(n -> assertThat(n).contains("probe port 'nope' of container 'api'"));
        // the app's probes themselves are not rewritten
        assertThat(container(result.pod().getSpec().getContainers(), "api"))
                .isEqualTo(pod(yaml).getSpec().getContainers().get(0));
    }

    @Test
    void theInitContainerInstallsTheCaptureRulesWithOnlyNetAdminAndNetRaw() {
        Pod injected = inject(withAnnotations("palisade.dev/exclude-outbound-ports: \"5432,6379\""), SELECTED_130);

        Container init = injected.getSpec().getInitContainers().get(0);
        assertThat(init.getName()).isEqualTo("palisade-init");
        assertThat(init.getImage()).isEqualTo(IMAGE);
        assertThat(init.getCommand()).containsExactly("palisade");
        assertThat(init.getArgs())
                .containsExactly(
                        "init-iptables",
                        "--proxy-uid",
                        "1337",
                        "--inbound-port",
                        "15006",
                        "--outbound-port",
                        "15001",
                        "--exclude-inbound-ports",
                        "15000,15021",
                        "--exclude-outbound-ports",
                        "5432,6379");
        assertThat(init.getSecurityContext())
                .isEqualTo(new SecurityContextBuilder()
                        .withRunAsUser(0L)
                        .withRunAsGroup(0L)
                        .withRunAsNonRoot(false)
                        .withReadOnlyRootFilesystem(false)
                        .withAllowPrivilegeEscalation(false)
                        .withPrivileged(false)
                        .withNewCapabilities()
                        .withAdd("NET_ADMIN", "NET_RAW")
                        .withDrop("ALL")
                        .endCapabilities()
                        .withNewSeccompProfile()
                        .withType("RuntimeDefault")
                        .endSeccompProfile()
                        .build());
        assertThat(init.getRestartPolicy()).isNull();
        assertThat(init.getVolumeMounts()).isEmpty();
    }

    @ParameterizedTest(name = "Kubernetes {0}")
    @CsvSource({"1.28", "1.30"})
    void theProxyRunsAsUid1337WithNothingElse(String version) {
        Pod injected = inject(DEPLOYMENT_POD, new PodContext("shop", true, KubernetesVersion.parse(version)));

        Container proxy = proxy(injected);
        SecurityContext expected = new SecurityContextBuilder()
                .withRunAsUser(1337L)
                .withRunAsGroup(1337L)
                .withRunAsNonRoot(true)
                .withReadOnlyRootFilesystem(true)
                .withAllowPrivilegeEscalation(false)
                .withPrivileged(false)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .build();
        assertThat(proxy.getSecurityContext()).isEqualTo(expected);
        // and the app's containers keep theirs
        assertThat(container(injected.getSpec().getContainers(), "web").getSecurityContext())
                .isNull();
    }

    @Test
    void theProxyGetsItsIdentityTokenEnvironmentAndProbes() {
        Pod injected = inject(DEPLOYMENT_POD, SELECTED_130);

        Container proxy = proxy(injected);
        assertThat(proxy.getImage()).isEqualTo(IMAGE);
        assertThat(proxy.getCommand()).containsExactly("palisade");
        assertThat(proxy.getArgs()).containsExactly("proxy");
        assertThat(proxy.getEnv().stream().map(EnvVar::getName))
                .containsExactly(
                        "POD_NAME",
                        "POD_NAMESPACE",
                        "SERVICE_ACCOUNT",
                        "PALISADE_CONTROL_PLANE",
                        "PALISADE_TOKEN_FILE",
                        "PALISADE_CA_BUNDLE",
                        "PALISADE_TRUST_DOMAIN",
                        "PALISADE_LOG_LEVEL",
                        "PALISADE_INBOUND_PORT",
                        "PALISADE_OUTBOUND_PORT",
                        "PALISADE_ADMIN_PORT",
                        "PALISADE_HEALTH_PORT",
                        "PALISADE_DATA_DIR",
                        "JDK_JAVA_OPTIONS",
                        "MALLOC_ARENA_MAX");
        assertThat(env(proxy, "POD_NAME").getValueFrom().getFieldRef().getFieldPath())
                .isEqualTo("metadata.name");
        assertThat(env(proxy, "POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
                .isEqualTo("metadata.namespace");
        assertThat(env(proxy, "SERVICE_ACCOUNT").getValueFrom().getFieldRef().getFieldPath())
                .isEqualTo("spec.serviceAccountName");
        assertThat(env(proxy, "PALISADE_CONTROL_PLANE").getValue())
                .isEqualTo("palisade-control-plane.palisade-system.svc:15012");
        assertThat(env(proxy, "PALISADE_TOKEN_FILE").getValue()).isEqualTo("/var/run/secrets/palisade/tokens/token");
        assertThat(env(proxy, "PALISADE_LOG_LEVEL").getValue()).isEqualTo("info");
        // The JVM flags perf/run measures, read by the java launcher whatever wraps it in the image.
        assertThat(env(proxy, "JDK_JAVA_OPTIONS").getValue())
                .isEqualTo(String.join(" ", InjectionConfig.DEFAULT_PROXY_JVM_OPTIONS))
                .contains("-Xmx48m", "-XX:+UseSerialGC");
        assertThat(env(proxy, "MALLOC_ARENA_MAX").getValue()).isEqualTo("2");
        // The control plane is verified before the first SVID with the mesh's trust bundle and trust domain, both
        // from the ConfigMap the control plane keeps in every meshed namespace.
        assertThat(env(proxy, "PALISADE_CA_BUNDLE").getValue()).isEqualTo("/var/run/palisade/ca/bundle.pem");
        assertThat(env(proxy, "PALISADE_TRUST_DOMAIN").getValue()).isNull();
        assertThat(env(proxy, "PALISADE_TRUST_DOMAIN").getValueFrom().getConfigMapKeyRef())
                .isEqualTo(new ConfigMapKeySelectorBuilder()
                        .withName("palisade-ca-root")
                        .withKey("trust-domain")
                        .build());

        assertThat(proxy.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
        assertThat(proxy.getReadinessProbe().getHttpGet().getPort()).isEqualTo(new IntOrString(15021));
        assertThat(proxy.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/live");
        assertThat(proxy.getLivenessProbe().getHttpGet().getPort()).isEqualTo(new IntOrString(15021));
        assertThat(proxy.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("palisade-health");
            assertThat(p.getContainerPort()).isEqualTo(15021);
        });

        Volume token = volume(injected, "palisade-token");
        assertThat(token.getProjected().getSources()).singleElement().satisfies(source -> {
            assertThat(source.getServiceAccountToken().getAudience()).isEqualTo("palisade");
            assertThat(source.getServiceAccountToken().getExpirationSeconds()).isEqualTo(3600L);
            assertThat(source.getServiceAccountToken().getPath()).isEqualTo("token");
        });
        assertThat(volume(injected, "palisade-ca-root").getConfigMap())
                .isEqualTo(new ConfigMapVolumeSourceBuilder()
                        .withName("palisade-ca-root")
                        .addNewItem()
                        .withKey("bundle.pem")
                        .withPath("bundle.pem")
                        .endItem()
                        .build());
        assertThat(volume(injected, "palisade-data").getEmptyDir()).isNotNull();
        assertThat(volume(injected, "palisade-tmp").getEmptyDir()).isNotNull();
        assertThat(proxy.getVolumeMounts())
                .extracting(VolumeMount::getName, VolumeMount::getMountPath, VolumeMount::getReadOnly)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("palisade-token", "/var/run/secrets/palisade/tokens", true),
                        org.assertj.core.groups.Tuple.tuple("palisade-ca-root", "/var/run/palisade/ca", true),
                        org.assertj.core.groups.Tuple.tuple("palisade-data", "/var/lib/palisade", null),
                        org.assertj.core.groups.Tuple.tuple("palisade-tmp", "/tmp", null));
        assertThat(proxy.getResources().getRequests())
                .isEqualTo(Map.of("cpu", new Quantity("100m"), "memory", new Quantity("256Mi")));
        assertThat(proxy.getResources().getLimits()).isEqualTo(Map.of("memory", new Quantity("512Mi")));
    }

    @Test
    void annotationsTuneTheProxy() {
        Pod injected = inject(
                withAnnotations(
                        "palisade.dev/proxy-cpu: 500m",
                        "palisade.dev/proxy-memory: 1Gi",
                        "palisade.dev/log-level: DEBUG",
                        "palisade.dev/proxy-jvm-options: \"-Xmx160m -XX:+UseSerialGC\"",
                        "palisade.dev/opaque-ports: \"5432, 6379\""),
                SELECTED_130);

        Container proxy = proxy(injected);
        assertThat(proxy.getResources().getRequests())
                .isEqualTo(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("1Gi")));
        // the configured 512Mi limit would be below the request: raised to it
        assertThat(proxy.getResources().getLimits()).isEqualTo(Map.of("memory", new Quantity("1Gi")));
        assertThat(env(proxy, "PALISADE_LOG_LEVEL").getValue()).isEqualTo("debug");
        assertThat(env(proxy, "PALISADE_OPAQUE_PORTS").getValue()).isEqualTo("5432,6379");
        assertThat(env(proxy, "JDK_JAVA_OPTIONS").getValue()).isEqualTo("-Xmx160m -XX:+UseSerialGC");
    }

    @Test
    void anAnnotationCanDropTheJvmOptions() {
        Container proxy = proxy(inject(withAnnotations("palisade.dev/proxy-jvm-options: none"), SELECTED_130));

        assertThat(proxy.getEnv().stream().map(EnvVar::getName)).doesNotContain("JDK_JAVA_OPTIONS");
    }

    @Test
    void keepsThePodsOwnVolumesFirst() {
        Pod injected = inject(
                DEPLOYMENT_POD.replace("spec:\n", "spec:\n  volumes: [{name: config, configMap: {name: web}}]\n"),
                SELECTED_130);

        assertThat(injected.getSpec().getVolumes().stream().map(Volume::getName))
                .containsExactly("config", "palisade-token", "palisade-ca-root", "palisade-data", "palisade-tmp");
    }

    @Test
    void withoutJvmOptionsTheProxyGetsTheJvmsOwnDefaults() {
        SidecarInjector plain = new SidecarInjector(
                CONFIG.toBuilder().proxyJvmOptions(List.of()).build());
        InjectionResult result = plain.inject(pod(DEPLOYMENT_POD), SELECTED_130);

        Container proxy = proxy(((InjectionResult.Injected) result).pod());
        assertThat(proxy.getEnv().stream().map(EnvVar::getName))
                .doesNotContain("JDK_JAVA_OPTIONS")
                .contains("MALLOC_ARENA_MAX");
    }

    @Test
    void theDefaultTlsGroupsLeaveThePodSpecAsItWas() {
        // Also when set explicitly: pods injected before --proxy-tls-groups existed stay the same.
        for (InjectionConfig config : List.of(
                CONFIG,
                CONFIG.toBuilder()
                        .proxyTlsGroups(List.of("X25519MLKEM768", "X25519", "P-256"))
                        .build())) {
            Pod injected = ((InjectionResult.Injected)
                            new SidecarInjector(config).inject(pod(DEPLOYMENT_POD), SELECTED_130))
                    .pod();

            assertThat(injected).isEqualTo(inject(DEPLOYMENT_POD, SELECTED_130));
            assertThat(proxy(injected).getEnv().stream().map(EnvVar::getName)).doesNotContain("PALISADE_TLS_GROUPS");
        }
    }

    @ParameterizedTest
    @CsvSource({"1.28", "1.30"})
    void chosenTlsGroupsReachOnlyTheProxyAsOneVariable(String version) {
        SidecarInjector chosen = new SidecarInjector(
                CONFIG.toBuilder().proxyTlsGroups(List.of("X25519", "P-256")).build());
        InjectionResult result =
                chosen.inject(pod(DEPLOYMENT_POD), new PodContext("shop", true, KubernetesVersion.parse(version)));

        Pod injected = ((InjectionResult.Injected) result).pod();
        Container proxy = proxy(injected);
        assertThat(proxy.getEnv())
                .filteredOn(e -> e.getName().equals("PALISADE_TLS_GROUPS"))
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.getValue()).isEqualTo("X25519,P-256");
                    assertThat(e.getValueFrom()).isNull();
                });
        Stream.concat(injected.getSpec().getInitContainers().stream(), injected.getSpec().getContainers().stream())
                .filter(c -> c != proxy)
                .forEach(c -> assertThat(c.getEnv()).as(c.getName()).noneMatch(e -> e.getName()
                        .equals("PALISADE_TLS_GROUPS")));
    }

    private static Pod inject(String yaml, PodContext context) {
        InjectionResult result = injector.inject(pod(yaml), context);
        assertThat(result).isInstanceOf(InjectionResult.Injected.class);
        return ((InjectionResult.Injected) result).pod();
    }

    /** The deployment pod with annotations (each "key: value"). */
    static String withAnnotations(String... annotations) {
        StringBuilder sb = new StringBuilder("  annotations:\n");
        for (String a : annotations) {
            sb.append("    ").append(a).append('\n');
        }
        return DEPLOYMENT_POD.replace("  labels:", sb + "  labels:");
    }

    private static Container proxy(Pod pod) {
        return Stream.concat(pod.getSpec().getInitContainers().stream(), pod.getSpec().getContainers().stream())
                .filter(c -> c.getName().equals("palisade-proxy"))
                .findFirst()
                .orElseThrow();
    }

    private static EnvVar env(Container c, String name) {
        return c.getEnv().stream()
                .filter(e -> e.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name));
    }

    private static Volume volume(Pod pod, String name) {
        return pod.getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static String argument(Container c, String flag) {
        List<String> args = c.getArgs();
        return args.get(args.indexOf(flag) + 1);
    }
}
