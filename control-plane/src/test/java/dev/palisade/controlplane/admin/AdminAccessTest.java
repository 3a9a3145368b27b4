package dev.palisade.controlplane.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.controlplane.config.AdminToken;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The access decision over (path as the router sees it, peer address, Authorization headers). Addresses such as
 * 10.0.0.5 are only values here: no traffic goes to them.
 */
class AdminAccessTest {
    static final String TOKEN = "s3cret-admin-token-0123456789";
    static final AdminAccess WITH_TOKEN = AdminAccess.of(token(TOKEN));
    static final AdminAccess LOOPBACK_ONLY = AdminAccess.loopbackOnly();

    static final InetAddress LOOPBACK_V4 = address("127.0.0.1");
    static final InetAddress LOOPBACK_V6 = address("::1");
    static final InetAddress POD = address("10.0.0.5");
    static final InetAddress MAPPED_POD = address("::ffff:10.0.0.5");
    static final InetAddress POD_V6 = address("fd00::5");

    // ---- negative cases: refused ------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/api/flows",
                "/api/flows/summary?since=1h",
                "/config",
                "/uiapi/flows",
                "/ui.",
                "/UI/",
                "/nothing-here",
                "/",
                "/%61pi/flows",
                "/api%2Fflows",
                "/metrics/../api/flows",
                "/metrics%2F..%2Fapi/flows",
                "//api/flows",
                "//metrics",
                "/metrics/",
                "/METRICS",
                "/ready/../config",
                "/live;x",
                "http://127.0.0.1:15014/api/flows",
                "*"
            })
    void protectedPathsNeedTheTokenFromEveryPeer(String uri) {
        String path = AdminServer.routedPath(uri);
        for (InetAddress peer : List.of(LOOPBACK_V4, POD, MAPPED_POD)) {
            AdminAccess.Decision d = WITH_TOKEN.decide(path, peer, List.of());
            assertThat(d.status()).as(uri + " from " + peer).isEqualTo(401);
            assertThat(d.body()).contains("missing Authorization header");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/flows", "/%61pi/flows", "/config", "/metrics/../api/flows", "//api/flows", "/ui/"})
    void withoutATokenNonLoopbackPeersAreForbidden(String uri) {
        String path = AdminServer.routedPath(uri);
        for (InetAddress peer : List.of(POD, MAPPED_POD, POD_V6)) {
            AdminAccess.Decision d = LOOPBACK_ONLY.decide(path, peer, List.of());
            assertThat(d.status()).as(uri + " from " + peer).isEqualTo(403);
            assertThat(d.body()).contains("--admin-token-file", AdminToken.ENV, "loopback");
        }
        assertThat(LOOPBACK_ONLY.decide(path, null, List.of()).status()).isEqualTo(403);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ui", "/ui/", "/ui/app.js", "/ui/../api/flows"})
    void withoutATokenThePageIsLoopbackOnlyLikeTheApi(String uri) {
        String path = AdminServer.routedPath(uri);
        for (InetAddress peer : List.of(POD, MAPPED_POD, POD_V6)) {
            assertThat(LOOPBACK_ONLY.decide(path, peer, List.of()).status())
                    .as(uri + " from " + peer)
                    .isEqualTo(403);
        }
        assertThat(LOOPBACK_ONLY.decide(path, LOOPBACK_V4, List.of())).isEqualTo(AdminAccess.ALLOWED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ui", "/ui/", "/ui/app.js", "/ui/%2e%2e/x"})
    void withATokenThePageIsOpenToEveryPeer(String uri) {
        String path = AdminServer.routedPath(uri);
        for (InetAddress peer : List.of(LOOPBACK_V4, POD, MAPPED_POD, POD_V6)) {
            assertThat(WITH_TOKEN.decide(path, peer, List.of())).as(uri).isEqualTo(AdminAccess.ALLOWED);
        }
    }

    @Test
    void aPresentedTokenDoesNotOpenTheApiWhenNoneIsConfigured() {
        assertThat(LOOPBACK_ONLY
                        .decide("/api/flows", POD, List.of("Bearer " + TOKEN))
                        .status())
                .isEqualTo(403);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Bearer wrong-admin-token-0123456789",
                // A prefix, the token with a character more, and a different length altogether.
                "Bearer s3cret-admin-token-012345678",
                "Bearer s3cret-admin-token-01234567890",
                "Bearer x",
                "Bearer " + TOKEN + "x" + TOKEN,
                "Bearer S3CRET-ADMIN-TOKEN-0123456789"
            })
    void aWrongTokenIs401AndTheBodyDoesNotEchoIt(String header) {
        AdminAccess.Decision d = WITH_TOKEN.decide("/api/flows", LOOPBACK_V4, List.of(header));
        assertThat(d.status()).isEqualTo(401);
        assertThat(d.body()).contains("wrong admin token").doesNotContain(header.substring(7));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                TOKEN,
                "Basic " + TOKEN,
                "Token " + TOKEN,
                "Bearer" + TOKEN,
                "Bearer\t" + TOKEN,
                "Bearer:" + TOKEN,
                "Bearer",
                "Bearer   ",
                ""
            })
    void anotherSchemeOrNoCredentialsIs401(String header) {
        AdminAccess.Decision d = WITH_TOKEN.decide("/config", LOOPBACK_V4, List.of(header));
        assertThat(d.status()).as("[" + header + "]").isEqualTo(401);
        assertThat(d.body()).startsWith("unauthorized: ").doesNotContain(TOKEN);
    }

    @Test
    void twoAuthorizationHeadersAre401EvenIfOneIsRight() {
        assertThat(WITH_TOKEN
                        .decide("/api/flows", LOOPBACK_V4, List.of("Bearer " + TOKEN, "Bearer wrong"))
                        .status())
                .isEqualTo(401);
        assertThat(WITH_TOKEN
                        .decide("/api/flows", LOOPBACK_V4, List.of("Bearer " + TOKEN, "Bearer " + TOKEN))
                        .body())
                .contains("more than one");
    }

    @Test
    void theChallengeNamesTheBearerSchemeAndRealm() {
        assertThat(AdminAccess.CHALLENGE).isEqualTo("Bearer realm=\"palisade\"");
    }

    // ---- positive cases
    // -----------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Bearer " + TOKEN,
                "bearer " + TOKEN,
                "BEARER " + TOKEN,
                "BeArEr " + TOKEN,
                "Bearer   " + TOKEN,
                "  Bearer " + TOKEN + "  "
            })
    void theRightTokenOpensProtectedPathsFromAnyPeer(String header) {
        for (InetAddress peer : List.of(LOOPBACK_V4, POD, MAPPED_POD, POD_V6)) {
            for (String path : List.of("/api/flows", "/config", "/api/flows/verify", "/nothing-here")) {
                assertThat(WITH_TOKEN.decide(path, peer, List.of(header)).allowed())
                        .as(path + " from " + peer)
                        .isTrue();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/flows", "/%61pi/flows", "/config", "/nothing-here"})
    void withoutATokenLoopbackPeersMayRead(String uri) {
        String path = AdminServer.routedPath(uri);
        for (InetAddress peer : List.of(LOOPBACK_V4, LOOPBACK_V6, address("127.0.0.2"), address("::ffff:127.0.0.1"))) {
            assertThat(LOOPBACK_ONLY.decide(path, peer, List.of()).allowed())
                    .as(uri + " from " + peer)
                    .isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ready", "/live", "/metrics", "/ready?x", "/metrics?name[]=x", "/%6Detrics"})
    void probesAndMetricsAreOpenWithAndWithoutAToken(String uri) {
        String path = AdminServer.routedPath(uri);
        for (AdminAccess access : List.of(WITH_TOKEN, LOOPBACK_ONLY)) {
            for (InetAddress peer : List.of(POD, MAPPED_POD, LOOPBACK_V4)) {
                for (List<String> headers : List.of(List.<String>of(), List.of("Bearer wrong"), List.of("Basic x"))) {
                    assertThat(access.decide(path, peer, headers).allowed())
                            .as(uri + " from " + peer + " with " + headers + " " + access)
                            .isTrue();
                }
            }
        }
    }

    @Test
    void theRouterAndTheDecisionSeeTheSamePath() {
        assertThat(AdminServer.routedPath("/%61pi/flows?since=1h")).isEqualTo("/api/flows");
        assertThat(AdminServer.routedPath("/metrics/../api/flows")).isEqualTo("/metrics/../api/flows");
        assertThat(AdminServer.routedPath("//api/flows")).isEqualTo("//api/flows");
        assertThat(AdminServer.routedPath("/ready?x")).isEqualTo("/ready");
    }

    @Test
    void toStringNeverHoldsTheToken() {
        assertThat(WITH_TOKEN.toString()).doesNotContain(TOKEN).contains("test");
        assertThat(LOOPBACK_ONLY.toString()).contains("loopback");
    }

    static AdminToken token(String value) {
        try {
            return AdminToken.parse(value, "test");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static InetAddress address(String literal) {
        try {
            // A literal: parsed, never resolved.
            return InetAddress.getByName(literal);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
