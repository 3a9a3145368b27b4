package dev.palisade.perf.authz;

import dev.palisade.perf.Initializer;
import dev.palisade.proxy.authz.AuthzDecision;
import dev.palisade.proxy.authz.AuthzEngine;
import dev.palisade.proxy.authz.AuthzRequest;
import dev.palisade.proxy.authz.NormalizedRequest;
import dev.palisade.proxy.authz.RequestNormalizer;
import dev.palisade.proxy.authz.RequestResult;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * An HTTP/1.1 request as the decoder hands it over (method, request-target and twelve header
 * fields in arrival order, Host among them) turned into the engine's request view: {@link
 * RequestNormalizer#normalize} and {@link AuthzRequest.Builder#build}. {@code normalizeAndDecide}
 * adds the uncached decision at 100 rules ({@link PolicySets}), the authorization cost of one
 * request on the data path.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class RequestNormalizationBenchmark {

    private static final int REQUESTS = 64;
    private static final InetAddress PEER = InetAddress.getLoopbackAddress();

    private RequestNormalizer normalizer;
    private AuthzEngine engine;
    private String[] methods;
    private String[] targets;
    private String[] principals;
    private List<List<Map.Entry<String, String>>> headers;
    private int next;

    @Setup(Level.Trial)
    @Initializer
    public void setUp() {
        normalizer = RequestNormalizer.withDefaults();
        engine = PolicySets.engine(100);
        methods = new String[REQUESTS];
        targets = new String[REQUESTS];
        principals = new String[REQUESTS];
        headers = new ArrayList<>(REQUESTS);
        for (int r = 0; r < REQUESTS; r++) {
            int i = (r * 37) % 90;
            methods[r] = r % 3 == 0 ? "POST" : "GET";
            targets[r] = "/api/svc" + i + "/items/" + (r % 10) + (r % 2 == 0 ? "?limit=20" : "");
            principals[r] = "spiffe://" + PolicySets.TRUST_DOMAIN + "/ns/ns" + (i % 20) + "/sa/client" + i;
            headers.add(PolicySets.http1Headers(i % 4 == 3 ? "svc" + i + ".shop" : "payments.shop:80", r));
        }
    }

    @Benchmark
    public AuthzRequest normalize() {
        return view(next++ & (REQUESTS - 1));
    }

    @Benchmark
    public AuthzDecision normalizeAndDecide() {
        return engine.evaluate(view(next++ & (REQUESTS - 1)));
    }

    private AuthzRequest view(int r) {
        RequestResult result = normalizer.normalize("http", methods[r], targets[r], null, headers.get(r));
        if (!(result instanceof NormalizedRequest normalized)) {
            throw new IllegalStateException("rejected: " + result);
        }
        return AuthzRequest.builder(normalized)
                .peerPrincipal(principals[r])
                .sourceIp(PEER)
                .destinationIp(PEER)
                .destinationPort(8080)
                .build();
    }
}
