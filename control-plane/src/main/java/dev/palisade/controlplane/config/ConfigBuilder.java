package dev.palisade.controlplane.config;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.ca.KeyAlgorithm;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The settings of {@link ControlPlaneConfig} that both modes share, with their defaults, for {@link LocalConfig.Builder}
 * and {@link KubernetesConfig.Builder}: a setting both modes have is added here once.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class ConfigBuilder<B extends ConfigBuilder<B>> {
    final MeshConfig mesh;
    InetSocketAddress grpcAddress;
    InetSocketAddress adminAddress;
    Duration workloadTtl = Duration.ofHours(24);
    Duration maxTtl = Duration.ofHours(24);
    Duration rootLifetime = Duration.ofDays(365);
    Duration rotateBefore = Duration.ofDays(30);
    Duration warnBefore = Duration.ofDays(60);
    KeyAlgorithm keyAlgorithm = KeyAlgorithm.EC_P256;
    Path flowStore;
    Duration flowRetention = ControlPlaneConfig.DEFAULT_FLOW_RETENTION;

    @Nullable
    AdminToken adminToken;

    @Nullable
    OtlpConfig otlp;

    ConfigBuilder(MeshConfig mesh, InetSocketAddress grpcAddress, InetSocketAddress adminAddress, Path flowStore) {
        this.mesh = requireNonNull(mesh, "mesh");
        this.grpcAddress = grpcAddress;
        this.adminAddress = adminAddress;
        this.flowStore = flowStore;
    }

    abstract B self();

    /** Sets what {@link ControlPlaneConfig} has from another configuration of either mode. */
    B common(ControlPlaneConfig config) {
        return addresses(config.grpcAddress(), config.adminAddress())
                .ttls(config.workloadTtl(), config.maxTtl())
                .rootLifetime(config.rootLifetime())
                .rotateBefore(config.rotateBefore())
                .warnBefore(config.warnBefore())
                .keyAlgorithm(config.keyAlgorithm())
                .flows(config.flowStore(), config.flowRetention())
                .adminToken(config.adminToken())
                .otlp(config.otlp());
    }

    public B grpcAddress(InetSocketAddress grpcAddress) {
        this.grpcAddress = grpcAddress;
        return self();
    }

    public B adminAddress(InetSocketAddress adminAddress) {
        this.adminAddress = adminAddress;
        return self();
    }

    public B addresses(InetSocketAddress grpcAddress, InetSocketAddress adminAddress) {
        return grpcAddress(grpcAddress).adminAddress(adminAddress);
    }

    public B ttls(Duration workloadTtl, Duration maxTtl) {
        this.workloadTtl = workloadTtl;
        this.maxTtl = maxTtl;
        return self();
    }

    public B rootLifetime(Duration rootLifetime) {
        this.rootLifetime = rootLifetime;
        return self();
    }

    public B rotateBefore(Duration rotateBefore) {
        this.rotateBefore = rotateBefore;
        return self();
    }

    public B warnBefore(Duration warnBefore) {
        this.warnBefore = warnBefore;
        return self();
    }

    public B keyAlgorithm(KeyAlgorithm keyAlgorithm) {
        this.keyAlgorithm = keyAlgorithm;
        return self();
    }

    public B flowStore(Path flowStore) {
        this.flowStore = flowStore;
        return self();
    }

    public B flowRetention(Duration flowRetention) {
        this.flowRetention = flowRetention;
        return self();
    }

    public B flows(Path flowStore, Duration flowRetention) {
        return flowStore(flowStore).flowRetention(flowRetention);
    }

    public B adminToken(@Nullable AdminToken adminToken) {
        this.adminToken = adminToken;
        return self();
    }

    public B otlp(@Nullable OtlpConfig otlp) {
        this.otlp = otlp;
        return self();
    }
}
