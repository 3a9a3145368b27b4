package dev.palisade.proxy.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyRefTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(
            strings = {
                "",
                "allow-all",
                "mesh-default",
                "ns[]-policy[p]-rule[0]",
                "ns[a]-policy[]-rule[0]",
                "ns[a]-policy[p]-rule[]",
                "ns[a]-policy[p]-rule[-1]",
                "ns[a]-policy[p]-rule[01]",
                "ns[a]-policy[p]-rule[1x]",
                "ns[a]-policy[p]-rule[123456]",
                "ns[a]-policy[p]-rule[0]x",
                "ns[a]-policy[p]-rule[0",
                "xns[a]-policy[p]-rule[0]",
                "ns[a]-rule[0]-policy[p]",
                "ns[a[b]]-policy[p]-rule[0]",
                "ns[a]-policy[p]q]-rule[0]",
                "NS[a]-policy[p]-rule[0]"
            })
    void nameOutsideTheContractIsRefusedNamingIt(String name) {
        assertThatThrownBy(() -> PolicyRef.parse(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("policy name \"" + name + "\" (expected: ns[<namespace>]-policy[<name>]-rule[<index>])");
    }

    static Stream<Arguments> names() {
        return Stream.of(
                Arguments.of("ns[shop]-policy[payments]-rule[0]", "shop", "payments", 0),
                Arguments.of("ns[kube-system]-policy[a.b-c]-rule[12]", "kube-system", "a.b-c", 12),
                Arguments.of("ns[x]-policy[ns-y-policy]-rule[3]", "x", "ns-y-policy", 3),
                Arguments.of("ns[a]-policy[-rule]-rule[99999]", "a", "-rule", 99999));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("names")
    void contractNameIsParsedIntoItsParts(String name, String namespace, String policy, int rule) {
        PolicyRef ref = PolicyRef.parse(name);

        assertThat(ref).isEqualTo(new PolicyRef(name, namespace, policy, rule));
        assertThat(ref.isNamed()).isTrue();
        assertThat(ref).hasToString(name);
    }
}
