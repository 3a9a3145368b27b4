package dev.palisade.perf.authz;

import dev.palisade.perf.Initializer;
import dev.palisade.proxy.authz.NormalizationOptions;
import dev.palisade.proxy.authz.PathNormalizer;
import dev.palisade.proxy.authz.PathResult;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@link PathNormalizer#normalize} with the mesh defaults on raw request-targets: {@code typical}
 * API paths (some with a query, a few escapes), and {@code hostile} ones from the bypass corpus
 * (dot segments, repeated slashes, escapes of unreserved characters, and targets that are
 * rejected: {@code ;}, encoded slashes, overlong UTF-8).
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class PathNormalizationBenchmark {

    private static final List<String> TYPICAL = List.of(
            "/api/svc12/items/4711",
            "/api/svc12/items/4711?limit=20&page=3",
            "/v1/charge",
            "/api/orders/v1/customers/8d2f6a51/orders?status=open",
            "/static/app.9f3c1e.js",
            "/healthz",
            "/api/search?q=caf%C3%A9&lang=fr",
            "/api/files/report%202024.pdf",
            "/grpc.health.v1.Health/Check",
            "/shop.v1.Payments/Charge",
            "/api/svc3/items/",
            "/api/users/alice@example.com/keys");

    private static final List<String> HOSTILE = List.of(
            "/public/%2e%2e/admin",
            "//api///svc1/./items/../x",
            "/%61%64%6d%69%6e/x",
            "/a/b/c/d/../../e/%7Euser",
            "/public/./../../admin?x=/../public",
            "/%2E%2e/%2e%2E/etc/passwd",
            "/public/..;/admin",
            "/admin%2Fx",
            "/public/%c0%ae%c0%ae/admin",
            "/admin%00",
            "/public/%252e%252e/admin",
            "/a%2g");

    @Param({"typical", "hostile"})
    public String paths = "typical";

    private PathNormalizer normalizer;
    private String[] targets;
    private int next;

    @Setup(Level.Trial)
    @Initializer
    public void setUp() {
        normalizer = new PathNormalizer(NormalizationOptions.defaults());
        List<String> source = paths.equals("typical") ? TYPICAL : HOSTILE;
        targets = new String[16];
        for (int i = 0; i < targets.length; i++) {
            // Fresh strings, as a decoder makes them: no cached hash codes, no shared instances.
            targets[i] = new String(source.get(i % source.size()).toCharArray());
        }
    }

    @Benchmark
    public PathResult normalize() {
        return normalizer.normalize(targets[next++ & 15]);
    }
}
