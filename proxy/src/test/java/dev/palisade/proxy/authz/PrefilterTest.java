package dev.palisade.proxy.authz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** The prefilter only ever dismisses requests the full matcher would dismiss too. */
class PrefilterTest {
    static final Matcher GET = new HeaderValueMatcher(
            Objects.requireNonNull(HeaderRef.of(":method")),
            StringMatch.literal(StringMatch.Kind.EXACT, "GET", false),
            MultiValueMode.EVERY,
            false);
    static final Matcher UNDER_A = new UrlPathMatcher(StringMatch.literal(StringMatch.Kind.PREFIX, "/a/", false));
    static final Matcher EXACTLY_B = new UrlPathMatcher(StringMatch.literal(StringMatch.Kind.EXACT, "/b", false));

    static AuthzRequest request(String method, String path) {
        return AuthzRequest.builder(new NormalizedRequest(method, path, null, "svc", Map.of()))
                .build();
    }

    @Test
    void negatedOrCaseInsensitiveMatchersConstrainNothing() {
        assertThat(new NotMatcher(GET).prefilter()).isSameAs(Prefilter.NONE);
        assertThat(new UrlPathMatcher(StringMatch.literal(StringMatch.Kind.PREFIX, "/a/", true)).prefilter())
                .isSameAs(Prefilter.NONE);
        assertThat(new OrMatcher(List.of(GET, new NotMatcher(UNDER_A)))
                        .prefilter()
                        .admits(request("POST", "/z")))
                .as("one OR operand without a constraint lifts the method constraint")
                .isTrue();
    }

    @Test
    void dismissesOnlyWhatTheMatcherWouldDismiss() {
        Matcher rule =
                new OrMatcher(List.of(new AndMatcher(List.of(GET, UNDER_A)), new AndMatcher(List.of(GET, EXACTLY_B))));
        Prefilter prefilter = rule.prefilter();
        List<String[]> requests = List.of(
                new String[] {"GET", "/a/x"},
                new String[] {"GET", "/b"},
                new String[] {"GET", "/bb"},
                new String[] {"GET", "/a"},
                new String[] {"POST", "/a/x"},
                new String[] {"DELETE", "/b"},
                new String[] {"GET", "/"});
        int dismissed = 0;
        for (String[] r : requests) {
            AuthzRequest request = request(r[0], r[1]);
            if (!prefilter.admits(request)) {
                dismissed++;
                assertThat(rule.matches(request))
                        .as("%s %s dismissed but matches", r[0], r[1])
                        .isFalse();
            }
        }
        assertThat(dismissed).isEqualTo(5);
        assertThat(prefilter.admits(request("GET", "/a/x"))).isTrue();
        assertThat(prefilter.admits(request("GET", "/b"))).isTrue();
        assertThat(prefilter.admits(AuthzRequest.connectionBuilder().build())).isFalse();
    }
}
