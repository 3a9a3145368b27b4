package dev.palisade.proxy.admin;

import static java.util.Objects.requireNonNull;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the admin server shows and the one thing it can do.
 *
 * @param ready whether the sidecar is ready ({@code /ready})
 * @param metrics the registry served at {@code /metrics} ({@link ProxyMetrics#registry()})
 * @param config the active config as a JSON document ({@code /config}): policies, listeners, destinations
 * @param certs the workload identity as a JSON document ({@code /certs}): SPIFFE ID, expiry, bundle
 * @param quit drains and exits ({@code POST /quit}); run once, on a thread of its own, after the 202 is sent
 */
public record AdminEndpoints(
        BooleanSupplier ready,
        PrometheusRegistry metrics,
        Supplier<String> config,
        Supplier<String> certs,
        Runnable quit) {
    public AdminEndpoints {
        requireNonNull(ready, "ready");
        requireNonNull(metrics, "metrics");
        requireNonNull(config, "config");
        requireNonNull(certs, "certs");
        requireNonNull(quit, "quit");
    }
}
