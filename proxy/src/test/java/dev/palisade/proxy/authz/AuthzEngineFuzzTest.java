package dev.palisade.proxy.authz;

import static dev.palisade.proxy.authz.Rbac.anyPrincipal;
import static dev.palisade.proxy.authz.Rbac.pathPrefix;
import static dev.palisade.proxy.authz.Rbac.policy;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import java.util.Map;

/**
 * A Jazzer fuzz test of the normaliser and the engine together, as the data path runs them, under
 * the policy set of {@link AuthzBypassCorpusTest}: DENY {@code paths: ["/admin*"]}, ALLOW {@code
 * paths: ["/public*"]}. {@code mvn verify} replays the committed seed corpus ({@code
 * src/test/resources/dev/palisade/proxy/authz/AuthzEngineFuzzTestInputs/<method>/}: the bypass
 * corpus, one raw request-target per file) as regression tests; {@code JAZZER_FUZZ=1} fuzzes
 * (proxy/README.md, "Fuzzing").
 *
 * <p>The test class's own members mention no engine type: JUnit loads the types in their
 * signatures before Jazzer's agent is installed, and Jazzer 0.24.0 then re-instruments those
 * classes (records, nest members) into bytecode that fails at run time ({@code NoSuchFieldError},
 * {@code IllegalAccessError}). {@link Fixture} is only loaded from inside the fuzz test, after the
 * agent is installed.
 */
class AuthzEngineFuzzTest {

    /**
     * The input is a raw request-target, one char per byte. Whenever the normaliser accepts it: a
     * normalised path under {@code /admin} is never allowed, and more strictly a request is allowed
     * exactly when its normalised path is under {@code /public}; the forwarded target normalises to
     * the same path, so the application acts on the path that was decided; the cached engine, the
     * uncached one and {@code explain} decide the same. And {@code evaluate} never throws, even on
     * a path that never went through the normaliser.
     */
    @FuzzTest(maxDuration = "60s")
    void pathsUnderAdminAreNeverAllowed(byte[] input) {
        Fixture.check(new String(input, ISO_8859_1));
    }

    /** The engine, the normalisers and the checks; loaded on first use (see the class comment). */
    private static final class Fixture {

        static final AuthzEngine ADMIN_DENIED_PUBLIC_ALLOWED = Rbac.compile(
                Rbac.deny(policy("no-admin", pathPrefix("/admin"), anyPrincipal())),
                Rbac.allow(policy("public", pathPrefix("/public"), anyPrincipal())));

        /** Shared across inputs, so that decisions cached for earlier inputs are checked against later ones. */
        static final AuthzPolicyHolder CACHED =
                new AuthzPolicyHolder(ADMIN_DENIED_PUBLIC_ALLOWED, new DecisionCacheSettings(true, 1_000));

        /** The strict defaults, and the mesh option that decodes encoded slashes instead of rejecting them. */
        static final List<RequestNormalizer> NORMALIZERS = List.of(
                RequestNormalizer.withDefaults(),
                new RequestNormalizer(new PathNormalizer(new NormalizationOptions(EscapedSlashAction.DECODE, true))));

        static final List<Map.Entry<String, String>> HOST = List.of(Map.entry("Host", "payments.shop"));

        private Fixture() {}

        /** Checks are plain ifs, so that fuzzing runs fast; AssertJ or {@link #fail} explains a failure. */
        static void check(String target) {
            for (RequestNormalizer normalizer : NORMALIZERS) {
                RequestResult result = normalizer.normalize("http", "GET", target, null, HOST);
                if (!(result instanceof NormalizedRequest normalized)) {
                    continue;
                }
                AuthzRequest request = request(normalized);
                AuthzDecision decision = ADMIN_DENIED_PUBLIC_ALLOWED.evaluate(request);
                String path = normalized.path();

                if (path.startsWith("/admin") && decision.allowed()) {
                    fail("allowed under /admin", target, path, decision);
                }
                if (decision.allowed() != path.startsWith("/public")) {
                    fail("allowed exactly under /public", target, path, decision);
                }
                RequestResult forwarded = normalizer.normalize("http", "GET", normalized.requestTarget(), null, HOST);
                if (!(forwarded instanceof NormalizedRequest again)
                        || !again.path().equals(path)) {
                    assertThat(forwarded)
                            .as("forwarded %s", normalized.requestTarget())
                            .isEqualTo(normalized);
                }
                AuthzDecision cached = CACHED.evaluate(request);
                if (!cached.equals(decision)) {
                    assertThat(cached).as("cached decision for %s", path).isEqualTo(decision);
                }
                AuthzDecision explained =
                        ADMIN_DENIED_PUBLIC_ALLOWED.explain(request).decision();
                if (!explained.equals(decision)) {
                    assertThat(explained).as("explained decision for %s", path).isEqualTo(decision);
                }
            }

            AuthzRequest unnormalized = request(new NormalizedRequest("GET", target, null, "payments.shop", Map.of()));
            AuthzDecision uncached = ADMIN_DENIED_PUBLIC_ALLOWED.evaluate(unnormalized);
            AuthzDecision cached = CACHED.evaluate(unnormalized);
            if (!cached.equals(uncached)) {
                assertThat(cached).as("cached decision for the raw path").isEqualTo(uncached);
            }
        }

        private static AuthzRequest request(NormalizedRequest normalized) {
            return AuthzRequest.builder(normalized)
                    .peerPrincipal(TestRequest.CHECKOUT)
                    .destinationPort(8080)
                    .build();
        }

        private static void fail(String property, String target, String path, AuthzDecision decision) {
            throw new AssertionError(property + ": " + TestStrings.escape(target) + " normalised to "
                    + TestStrings.escape(path) + ", " + decision);
        }
    }
}
