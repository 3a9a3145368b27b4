package dev.palisade.proxy.flow;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.flowlog.FlowEntries;
import dev.palisade.flowlog.FlowLogFile;
import dev.palisade.flowlog.FlowVerifier;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.proxy.authz.AuthzDecision;
import dev.palisade.proxy.authz.DryRunResult;
import dev.palisade.proxy.authz.PolicyRef;
import dev.palisade.testkit.pki.TestCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A CA, the sidecar's and the control plane's SVIDs under it, and flow events of every shape. */
final class FlowFixtures {
    static final TrustDomain TD = TrustDomain.parse("cluster.local");
    static final SpiffeId SIDECAR = SpiffeId.forWorkload(TD, "shop", "web");
    static final SpiffeId FRONTEND = SpiffeId.forWorkload(TD, "shop", "frontend");
    static final SpiffeId CONTROL_PLANE = SpiffeId.forWorkload(TD, "palisade-system", "palisade-control-plane");

    static final TestCertificate ROOT = TestCertificate.root("palisade flow test root");
    static final TrustBundleSet BUNDLES = TrustBundleSet.of(TrustBundle.of(TD, List.of(ROOT.certificate())));
    private static final X509Svid SIDECAR_SVID = svid(SIDECAR);

    private FlowFixtures() {}

    static X509Svid svid(SpiffeId id) {
        TestCertificate leaf = TestCertificate.leaf(id.toString(), ROOT);
        return X509Svid.of(leaf.chain(), leaf.privateKey());
    }

    static X509Svid sidecarSvid() {
        return SIDECAR_SVID;
    }

    /** Event {@code i}: HTTP/1.1 allowed (with a query), HTTP/2 denied, gRPC allowed, TCP outbound, in turn. */
    static FlowEvent event(int i) {
        Instant start = Instant.parse("2025-06-15T10:00:00Z").plusMillis(i);
        InetSocketAddress client = new InetSocketAddress("10.0.0.7", 40_000 + (i % 20_000));
        InetSocketAddress server = new InetSocketAddress("10.0.0.9", 8080);
        AuthzDecision allow = new AuthzDecision(
                true,
                AuthzDecision.Reason.ALLOW_POLICY,
                PolicyRef.parse("ns[shop]-policy[web-access]-rule[0]"),
                List.of(),
                DryRunResult.NOT_CONFIGURED,
                "v1");
        AuthzDecision deny = new AuthzDecision(
                false,
                AuthzDecision.Reason.NO_MATCHING_ALLOW_POLICY,
                PolicyRef.NO_MATCHING_ALLOW,
                List.of(),
                DryRunResult.NOT_CONFIGURED,
                "v1");
        return switch (i % 4) {
            case 0 -> http(start, client, server, "HTTP/1.1", "/items/" + i + "?token=secret" + i, 200, null, allow);
            case 1 -> http(start, client, server, "HTTP/2", "/admin/" + i, 403, null, deny);
            case 2 -> http(start, client, server, "gRPC", "/shop.Items/Get", 200, 0, allow);
            default ->
                new FlowEvent(
                        start,
                        Duration.ofMillis(40),
                        FlowEvent.Direction.OUTBOUND,
                        null,
                        FRONTEND,
                        new InetSocketAddress("127.0.0.1", 50_000),
                        new InetSocketAddress("10.0.0.8", 5432),
                        "TCP",
                        null,
                        null,
                        null,
                        0,
                        null,
                        100 + i,
                        200 + i,
                        null,
                        null,
                        "TLSv1.3",
                        "TLS_AES_128_GCM_SHA256",
                        null);
        };
    }

    private static FlowEvent http(
            Instant start,
            InetSocketAddress client,
            InetSocketAddress server,
            String protocol,
            String path,
            int status,
            Integer grpcStatus,
            AuthzDecision decision) {
        return new FlowEvent(
                start,
                Duration.ofMillis(3),
                FlowEvent.Direction.INBOUND,
                FRONTEND,
                SIDECAR,
                client,
                server,
                protocol,
                "GET",
                "web.shop.svc",
                path,
                status,
                grpcStatus,
                0,
                1234,
                decision,
                null,
                "TLSv1.3",
                "TLS_AES_128_GCM_SHA256",
                "req-" + path.hashCode());
    }

    /** Every entry of the rotated log in {@code dir}, oldest first. */
    static List<Entry> fileEntries(Path dir) {
        List<Entry> out = new ArrayList<>();
        try {
            for (Path file : FlowLogFile.filesInOrder(dir, FlowLogFile.DEFAULT_NAME)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        out.add(FlowEntries.parseJson(line));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static FlowVerifier verifier() {
        return FlowVerifier.of(BUNDLES);
    }
}
