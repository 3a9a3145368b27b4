package dev.palisade.controlplane.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.controlplane.config.MtlsMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The records refuse invalid values however they are built, not only through the parser. */
class PolicyModelTest {

    @Test
    void anOperationRefusesABadPathNamingIt() {
        assertThatThrownBy(() -> Operation.builder().paths(List.of("/v1/*/x")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("paths[0]: '/v1/*/x': '*' is allowed only at the start or end");
    }

    @Test
    void aSourceRefusesABadPrincipalAndAnEmptySource() {
        assertThatThrownBy(() -> Source.builder()
                        .principals(List.of("spiffe://td/a/../b"))
                        .build())
                .hasMessageStartingWith("principals[0]: 'spiffe://td/a/../b': not a valid SPIFFE ID");
        assertThatThrownBy(() -> Source.builder().build()).hasMessageContaining("at least one field must be set");
    }

    @Test
    void aConditionRefusesUnsupportedKeys() {
        assertThatThrownBy(() -> new Condition("connection.sni", List.of("a"), List.of()))
                .hasMessageStartingWith("key: 'connection.sni': not supported");
    }

    @Test
    void aDryRunAuditPolicyIsRefused() {
        assertThatThrownBy(() -> AuthorizationPolicy.builder("shop", "a")
                        .action(PolicyAction.AUDIT)
                        .dryRun(true)
                        .build())
                .hasMessageContaining("dryRun is not supported with action AUDIT");
    }

    @Test
    void aWorkloadRefusesAPortDeclaredTwice() {
        assertThatThrownBy(() -> Workload.builder("shop", "w")
                        .serviceAccount("w")
                        .address("10.0.0.1")
                        .ports(List.of(
                                new WorkloadPort("a", 80, PortProtocol.HTTP),
                                new WorkloadPort("b", 80, PortProtocol.TCP)))
                        .build())
                .hasMessage("Workload shop/w: port 80 is declared twice");
    }

    @Test
    void portLevelMtlsNeedsASelector() {
        assertThatThrownBy(() -> PeerAuthentication.builder("shop", "pa", MtlsMode.STRICT)
                        .portLevelMtls(Map.of(8080, MtlsMode.PERMISSIVE))
                        .build())
                .hasMessageContaining("portLevelMtls requires a selector");
    }

    @Test
    void aPolicySetRefusesDuplicatesAndSortsByNamespaceAndName() {
        AuthorizationPolicy b = AuthorizationPolicy.builder("shop", "b").build();
        AuthorizationPolicy a = AuthorizationPolicy.builder("shop", "a").build();

        assertThatThrownBy(() -> PolicySet.of("v", List.of(a, a))).hasMessage("duplicate AuthorizationPolicy shop/a");
        assertThat(PolicySet.of("v", List.of(b, a)).authorizationPolicies()).containsExactly(a, b);
    }

    @Test
    void recordsCopyTheirLists() {
        List<String> methods = new ArrayList<>(List.of("GET"));
        Operation op = Operation.builder().methods(methods).build();

        methods.add("POST");

        assertThat(op.methods()).containsExactly("GET");
    }

    @Test
    void aSelectorMatchesWorkloadsHavingAllItsLabels() {
        WorkloadSelector selector = new WorkloadSelector(Map.of("app", "a", "tier", "b"));

        assertThat(selector.matches(Map.of("app", "a", "tier", "b", "zone", "z")))
                .isTrue();
        assertThat(selector.matches(Map.of("app", "a"))).isFalse();
        assertThat(selector.matches(Map.of("app", "a", "tier", "c"))).isFalse();
        assertThat(WorkloadSelector.ALL.matches(Map.of())).isTrue();
    }
}
