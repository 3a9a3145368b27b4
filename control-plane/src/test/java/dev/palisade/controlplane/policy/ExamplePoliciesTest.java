package dev.palisade.controlplane.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.config.DefaultAction;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.config.MtlsMode;
import io.envoyproxy.envoy.config.rbac.v3.RBAC.Action;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The demo mesh's policies in {@code examples/policies} load and compile for every workload. */
class ExamplePoliciesTest {

    private static final Path EXAMPLES = Path.of("../examples/policies");
    private static final MeshConfig MESH =
            new MeshConfig(TrustDomain.parse("demo.local"), DefaultAction.ALLOW, MtlsMode.STRICT);

    @Test
    void loadsAndCompilesForEveryWorkload() throws Exception {
        PolicySet set = new PolicyDirectory(EXAMPLES).load();

        assertThat(set.workloads()).extracting(Workload::name).containsExactly("frontend", "orders", "payments");
        for (Workload w : set.workloads()) {
            CompiledWorkloadPolicy compiled = PolicyCompiler.compile(set, MESH, w);

            assertThat(compiled.mtls().mode()).isEqualTo(MtlsMode.STRICT);
            assertThat(compiled.mtls().source())
                    .isEqualTo(new ObjectRef(ObjectKind.PEER_AUTHENTICATION, "shop", "default"));
            assertThat(compiled.httpFilters().get(0).getRules().getAction()).isEqualTo(Action.DENY);
            assertThat(compiled.httpFilters().get(0).getRules().getPoliciesMap())
                    .containsOnlyKeys("ns[shop]-policy[deny-admin]-rule[0]");
            assertThat(compiled.networkFilters()).isEmpty();
        }
    }

    @Test
    void letsOnlyFrontendReadOrdersAndOnlyOrdersCallPayments() throws Exception {
        PolicySet set = new PolicyDirectory(EXAMPLES).load();

        CompiledWorkloadPolicy frontend = PolicyCompiler.compile(
                set, MESH, set.workload("shop", "frontend").orElseThrow());
        CompiledWorkloadPolicy orders =
                PolicyCompiler.compile(set, MESH, set.workload("shop", "orders").orElseThrow());
        CompiledWorkloadPolicy payments = PolicyCompiler.compile(
                set, MESH, set.workload("shop", "payments").orElseThrow());

        assertThat(frontend.httpFilters()).hasSize(1); // the mesh default allows what the DENY does not deny
        assertThat(orders.httpFilters().get(1).getRules().getPoliciesMap())
                .containsOnlyKeys("ns[shop]-policy[orders]-rule[0]");
        assertThat(orders.httpFilters().get(1).getRules().getPoliciesMap().toString())
                .contains("spiffe://demo.local/ns/shop/sa/frontend");
        assertThat(payments.httpFilters().get(1).getRules().getPoliciesMap().toString())
                .contains("spiffe://demo.local/ns/shop/sa/orders")
                .contains("/payments.v1.Payments/");
    }
}
