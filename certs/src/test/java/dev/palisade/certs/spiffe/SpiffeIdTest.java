package dev.palisade.certs.spiffe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SpiffeIdTest {

    static Stream<Arguments> invalidIds() {
        return Stream.of(
                Arguments.of("", SpiffeIdRule.EMPTY),
                Arguments.of("http://example.org/ns/a/sa/b", SpiffeIdRule.SCHEME),
                Arguments.of("SPIFFE://example.org/ns/a/sa/b", SpiffeIdRule.SCHEME),
                Arguments.of("spiffe:/example.org/a", SpiffeIdRule.SCHEME),
                Arguments.of("spiffe:example.org/a", SpiffeIdRule.SCHEME),
                Arguments.of("spiffe://", SpiffeIdRule.TRUST_DOMAIN_MISSING),
                Arguments.of("spiffe:///ns/a/sa/b", SpiffeIdRule.TRUST_DOMAIN_MISSING),
                Arguments.of("spiffe://Example.org/ns/a", SpiffeIdRule.TRUST_DOMAIN_CHARACTERS),
                Arguments.of("spiffe://exa mple.org/ns/a", SpiffeIdRule.TRUST_DOMAIN_CHARACTERS),
                Arguments.of("spiffe://example.org:8443/ns/a", SpiffeIdRule.PORT),
                Arguments.of("spiffe://user@example.org/ns/a", SpiffeIdRule.USER_INFO),
                Arguments.of("spiffe://user:pw@example.org/ns/a", SpiffeIdRule.PORT),
                Arguments.of("spiffe://ex%41mple.org/ns/a", SpiffeIdRule.PERCENT_ENCODING),
                Arguments.of("spiffe://example.org/ns/%61", SpiffeIdRule.PERCENT_ENCODING),
                Arguments.of("spiffe://example.org/ns/a?x=1", SpiffeIdRule.QUERY),
                Arguments.of("spiffe://example.org?x=1", SpiffeIdRule.QUERY),
                Arguments.of("spiffe://example.org/ns/a#frag", SpiffeIdRule.FRAGMENT),
                Arguments.of("spiffe://example.org//ns/a", SpiffeIdRule.PATH_EMPTY_SEGMENT),
                Arguments.of("spiffe://example.org/ns//a", SpiffeIdRule.PATH_EMPTY_SEGMENT),
                Arguments.of("spiffe://example.org/ns/a/", SpiffeIdRule.PATH_TRAILING_SLASH),
                Arguments.of("spiffe://example.org/", SpiffeIdRule.PATH_TRAILING_SLASH),
                Arguments.of("spiffe://example.org/ns/./a", SpiffeIdRule.PATH_DOT_SEGMENT),
                Arguments.of("spiffe://example.org/ns/../a", SpiffeIdRule.PATH_DOT_SEGMENT),
                Arguments.of("spiffe://example.org/..", SpiffeIdRule.PATH_DOT_SEGMENT),
                Arguments.of("spiffe://example.org/ns/a\u0000b", SpiffeIdRule.PATH_CHARACTERS),
                Arguments.of("spiffe://example.org/ns/a b", SpiffeIdRule.PATH_CHARACTERS),
                Arguments.of("spiffe://example.org/ns/a\\b", SpiffeIdRule.PATH_CHARACTERS),
                Arguments.of("spiffe://example.org/ns/ä", SpiffeIdRule.PATH_CHARACTERS),
                Arguments.of("spiffe://example.org/ns/a@b", SpiffeIdRule.USER_INFO),
                Arguments.of("spiffe://example.org", SpiffeIdRule.PATH_REQUIRED),
                Arguments.of("spiffe://" + "a".repeat(256) + "/x", SpiffeIdRule.TRUST_DOMAIN_TOO_LONG),
                Arguments.of("spiffe://example.org/" + "a".repeat(2040), SpiffeIdRule.TOO_LONG));
    }

    @ParameterizedTest
    @MethodSource("invalidIds")
    void rejectsInvalidIdNamingTheRule(String input, SpiffeIdRule rule) {
        assertThatThrownBy(() -> SpiffeId.parse(input)).isInstanceOfSatisfying(InvalidSpiffeIdException.class, e -> {
            assertThat(e.rule()).isEqualTo(rule);
            assertThat(e.getMessage()).startsWith(rule.message());
            assertThat(e.input()).isEqualTo(input);
        });
    }

    @Test
    void messageEscapesControlCharactersSoLogsCannotBeForged() {
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://example.org/a\nINFO forged"))
                .hasMessageContaining("\\x0a")
                .hasMessageNotContaining("\n");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "spiffe://example.org/ns/shop/sa/orders",
                "spiffe://cluster.local/a",
                "spiffe://a-b_c.d0/X.y-Z_9",
                "spiffe://example.org/.../a..b/.a",
                "spiffe://1.2.3.4/ns/a/sa/b"
            })
    void acceptsValidIdsAndRoundTripsThem(String input) {
        SpiffeId id = SpiffeId.parse(input);
        assertThat(id.toString()).isEqualTo(input);
        assertThat(SpiffeId.parse(id.toString())).isEqualTo(id).hasSameHashCodeAs(id);
    }

    @Test
    void parseAnyAcceptsTrustDomainIdWithEmptyPath() {
        SpiffeId id = SpiffeId.parseAny("spiffe://example.org");
        assertThat(id.path()).isEmpty();
        assertThat(id.trustDomain().name()).isEqualTo("example.org");
        assertThat(id).isEqualTo(TrustDomain.parse("example.org").id());
    }

    @Test
    void workloadHelpersBuildAndReadKubernetesShape() {
        TrustDomain td = TrustDomain.parse("cluster.local");
        SpiffeId id = SpiffeId.forWorkload(td, "shop", "checkout");
        assertThat(id).hasToString("spiffe://cluster.local/ns/shop/sa/checkout");
        assertThat(id.namespace()).contains("shop");
        assertThat(id.serviceAccount()).contains("checkout");
        assertThat(id.isMemberOf(td)).isTrue();
        assertThat(id.isMemberOf(TrustDomain.parse("other.local"))).isFalse();
        assertThat(SpiffeId.parse("spiffe://cluster.local/ns/shop").namespace()).isEmpty();
    }

    @Test
    void workloadHelperValidatesItsSegments() {
        TrustDomain td = TrustDomain.parse("cluster.local");
        assertThatThrownBy(() -> SpiffeId.forWorkload(td, "..", "a"))
                .isInstanceOfSatisfying(InvalidSpiffeIdException.class, e -> assertThat(e.rule())
                        .isEqualTo(SpiffeIdRule.PATH_DOT_SEGMENT));
        assertThatThrownBy(() -> SpiffeId.forWorkload(td, "a/b", "c")).isInstanceOf(InvalidSpiffeIdException.class);
        assertThatThrownBy(() -> SpiffeId.forWorkload(td, "", "c"))
                .isInstanceOfSatisfying(InvalidSpiffeIdException.class, e -> assertThat(e.rule())
                        .isEqualTo(SpiffeIdRule.PATH_EMPTY_SEGMENT));
    }

    @Test
    void trustDomainParsesNameOrIdAndRejectsPaths() {
        assertThat(TrustDomain.parse("example.org").name()).isEqualTo("example.org");
        assertThat(TrustDomain.parse("spiffe://example.org").name()).isEqualTo("example.org");
        assertThatThrownBy(() -> TrustDomain.parse("spiffe://example.org/ns/a"))
                .isInstanceOf(InvalidSpiffeIdException.class);
        assertThatThrownBy(() -> TrustDomain.parse("Example.org"))
                .isInstanceOfSatisfying(InvalidSpiffeIdException.class, e -> assertThat(e.rule())
                        .isEqualTo(SpiffeIdRule.TRUST_DOMAIN_CHARACTERS));
        assertThatThrownBy(() -> TrustDomain.parse("")).isInstanceOf(InvalidSpiffeIdException.class);
    }
}
