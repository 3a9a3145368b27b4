package dev.palisade.injector;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.palisade.injector.mutate.InjectionConfig;
import dev.palisade.injector.mutate.KubernetesVersion;
import dev.palisade.injector.mutate.PodJson;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.UncheckedIOException;
import java.util.List;

/** Pods written as YAML, and the injection settings the tests share. */
public final class TestPods {

    public static final String IMAGE = "registry.example/palisade:test";
    public static final InjectionConfig CONFIG = InjectionConfig.builder()
            .image(IMAGE)
            .controlPlaneAddress("palisade-control-plane.palisade-system.svc:15012")
            .build();
    public static final KubernetesVersion V1_28 = KubernetesVersion.parse("1.28");
    public static final KubernetesVersion V1_29 = KubernetesVersion.parse("1.29");
    public static final KubernetesVersion V1_30 = KubernetesVersion.parse("1.30");

    /** A Deployment's pod as the API server sees it at admission: generateName, no name, no namespace. */
    public static final String DEPLOYMENT_POD =
            """
            apiVersion: v1
            kind: Pod
            metadata:
              generateName: web-7d4b9c8f6-
              labels: {app: web, pod-template-hash: 7d4b9c8f6}
              ownerReferences:
              - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c8f6, uid: 5f1c, controller: true}
            spec:
              serviceAccountName: web
              containers:
              - name: web
                image: nginx:1.27
                ports:
                - {name: http, containerPort: 8080}
            """;

    private static final YAMLMapper YAML = new YAMLMapper();

    private TestPods() {}

    public static JsonNode tree(String yaml) {
        try {
            return YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Pod pod(String yaml) {
        return PodJson.toPod(tree(yaml));
    }

    public static List<String> names(List<Container> containers) {
        return containers.stream().map(Container::getName).toList();
    }

    public static Container container(List<Container> containers, String name) {
        return containers.stream()
                .filter(c -> c.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name + " in " + names(containers)));
    }
}
