package dev.palisade.controlplane.kube;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Objects for tests against fabric8's mock API server: minimal CRDs (with the status subresource, so that the mock
 * treats {@code status} as the API server does), namespaces, running injected pods and policy resources. Nothing is
 * taken from the Helm chart's CRDs: the schema here accepts anything, so that the control plane's own parser is what
 * refuses bad fields.
 */
public final class KubeFixtures {

    private KubeFixtures() {}

    /** Registers both CRDs with the mock server. */
    public static void installCrds(KubernetesClient client) {
        for (ResourceDefinitionContext c :
                List.of(KubernetesPolicySource.AUTHORIZATION_POLICIES, KubernetesPolicySource.PEER_AUTHENTICATIONS)) {
            CustomResourceDefinition crd = new CustomResourceDefinitionBuilder()
                    .withNewMetadata()
                    .withName(c.getPlural() + "." + c.getGroup())
                    .endMetadata()
                    .withNewSpec()
                    .withGroup(c.getGroup())
                    .withScope("Namespaced")
                    .withNewNames()
                    .withKind(c.getKind())
                    .withPlural(c.getPlural())
                    .withSingular(c.getKind().toLowerCase(java.util.Locale.ROOT))
                    .endNames()
                    .addNewVersion()
                    .withName(c.getVersion())
                    .withServed(true)
                    .withStorage(true)
                    .withNewSubresources()
                    .withNewStatus()
                    .endStatus()
                    .endSubresources()
                    .withNewSchema()
                    .withNewOpenAPIV3Schema()
                    .withType("object")
                    .withXKubernetesPreserveUnknownFields(true)
                    .endOpenAPIV3Schema()
                    .endSchema()
                    .endVersion()
                    .endSpec()
                    .build();
            client.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .resource(crd)
                    .create();
        }
    }

    /** Creates a namespace, labelled for injection when {@code inject} is true. */
    public static void namespace(KubernetesClient client, String name, boolean inject) {
        NamespaceBuilder b =
                new NamespaceBuilder().withNewMetadata().withName(name).endMetadata();
        if (inject) {
            b.editMetadata().addToLabels("palisade.dev/inject", "enabled").endMetadata();
        }
        client.namespaces().resource(b.build()).create();
    }

    /** A running pod with a sidecar (the injector's annotation and label) and the given app container ports. */
    public static PodBuilder injectedPod(
            String namespace,
            String name,
            String serviceAccount,
            String ip,
            Map<String, String> labels,
            ContainerPort... ports) {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .withLabels(new LinkedHashMap<>(labels))
                .addToLabels("palisade.dev/proxy", "enabled")
                .addToAnnotations("palisade.dev/status", "injected")
                .endMetadata()
                .withNewSpec()
                .withServiceAccountName(serviceAccount)
                .addNewContainer()
                .withName("app")
                .withImage("example/app")
                .withPorts(Arrays.asList(ports))
                .endContainer()
                .addNewContainer()
                .withName("palisade-proxy")
                .withImage("palisade")
                .addNewPort()
                .withName("palisade-health")
                .withContainerPort(15021)
                .endPort()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP(ip)
                .endStatus();
    }

    public static ContainerPort port(String name, int number) {
        return new ContainerPortBuilder()
                .withName(name)
                .withContainerPort(number)
                .withProtocol("TCP")
                .build();
    }

    /** Creates {@code pod}; sets its status too, since the create of a real API server would drop it. */
    public static Pod create(KubernetesClient client, Pod pod) {
        Pod created = client.resource(pod).create();
        if (created.getStatus() == null || created.getStatus().getPodIP() == null) {
            created.setStatus(pod.getStatus());
            created = client.resource(created).updateStatus();
        }
        return created;
    }

    /** An {@code AuthorizationPolicy} resource. */
    public static GenericKubernetesResource authorizationPolicy(
            String namespace, String name, Map<String, Object> spec) {
        return resource(KubernetesPolicySource.AUTHORIZATION_POLICIES, namespace, name, spec);
    }

    /** A {@code PeerAuthentication} resource. */
    public static GenericKubernetesResource peerAuthentication(
            String namespace, String name, Map<String, Object> spec) {
        return resource(KubernetesPolicySource.PEER_AUTHENTICATIONS, namespace, name, spec);
    }

    private static GenericKubernetesResource resource(
            ResourceDefinitionContext c, String namespace, String name, Map<String, Object> spec) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(c.getGroup() + "/" + c.getVersion())
                .withKind(c.getKind())
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .endMetadata()
                .addToAdditionalProperties("spec", spec)
                .build();
    }

    /** The {@code Accepted} condition of a resource as the API server holds it, or {@code null}. */
    public static Map<String, Object> acceptedCondition(
            KubernetesClient client, ResourceDefinitionContext c, String namespace, String name) {
        GenericKubernetesResource r = client.genericKubernetesResources(c)
                .inNamespace(namespace)
                .withName(name)
                .get();
        return r == null ? null : AcceptedCondition.find(r);
    }
}
