package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code palisade authz check}: the control plane's compiler and the sidecar's normaliser and engine together, on the
 * example mesh. These are the policy-semantics cases both issues share: which requests the examples allow.
 */
class AuthzCheckCommandTest {
    static final String EXAMPLES = "../examples/policies";
    static final String FRONTEND = "spiffe://demo.local/ns/shop/sa/frontend";
    static final String ORDERS = "spiffe://demo.local/ns/shop/sa/orders";

    @TempDir
    Path dir;

    private final CommandRunner cli = new CommandRunner("authz", "check");

    /** workload | from (- = plaintext) | method | raw path | exit code | what the output must say. */
    @ParameterizedTest(name = "{0} {2} {3} from {1} -> {4}")
    @CsvSource(
            delimiter = '|',
            value = {
                // bypass attempts first: each denied (1) or rejected before authorization (1, 400)
                "orders | " + FRONTEND + " | GET | /%61dmin | 1 | ns[shop]-policy[deny-admin]-rule[0]",
                "orders | " + FRONTEND + " | GET | //admin | 1 | ns[shop]-policy[deny-admin]-rule[0]",
                "orders | " + FRONTEND + " | GET | /orders/../admin | 1 | ns[shop]-policy[deny-admin]-rule[0]",
                "orders | " + FRONTEND + " | GET | /orders/%2e%2e/admin | 1 | ns[shop]-policy[deny-admin]-rule[0]",
                "orders | " + FRONTEND + " | GET | /orders/..;/admin | 1 | 400",
                "orders | " + FRONTEND + " | GET | /orders/..%2fadmin | 1 | ENCODED_SLASH",
                "orders | " + FRONTEND + " | GET | /orders/42#frag | 1 | FRAGMENT",
                "orders | " + FRONTEND + " | get | /orders/42 | 1 | INVALID_METHOD",
                "orders | " + FRONTEND + " | GET | /orders-admin | 1 | no-matching-allow-policy",
                "orders | " + FRONTEND + " | POST | /orders/42 | 1 | no-matching-allow-policy",
                "orders | - | GET | /orders/42 | 1 | no-matching-allow-policy",
                "orders | spiffe://demo.local/ns/shop/sa/frontendx | GET | /orders/42 | 1 | no-matching-allow-policy",
                "orders | spiffe://demo-local/ns/shop/sa/frontend | GET | /orders/42 | 1 | no-matching-allow-policy",
                "payments | " + FRONTEND + " | POST | /payments.v1.Payments/Charge | 1 | did not match",
                // allowed
                "orders | " + FRONTEND + " | GET | /orders/42 | 0 | ns[shop]-policy[orders]-rule[0]",
                "orders | " + FRONTEND + " | GET | /orders | 0 | ns[shop]-policy[orders]-rule[0]",
                "orders | " + FRONTEND + " | GET | /orders/%34%32?x=/../admin | 0 | /orders/42",
                "payments | " + ORDERS + " | POST | /payments.v1.Payments/Charge | 0 | ns[shop]-policy[payments]",
            })
    void examplePoliciesDecideLikeTheSidecar(
            String workload, String from, String method, String path, int exit, String says) {
        List<String> args = new ArrayList<>(List.of("--policies", EXAMPLES, "--workload", workload));
        if (!from.equals("-")) {
            args.addAll(List.of("--from", from));
        } else {
            args.addAll(List.of("--trust-domain", "demo.local"));
        }
        args.addAll(List.of("--method", method, "--path", path));
        assertThat(cli.run(args.toArray(new String[0])))
                .as(cli.out() + cli.err())
                .isEqualTo(exit);
        assertThat(cli.out()).contains(says);
    }

    @Test
    void denialNamesTheClosestAllowRuleAndTheConditionThatFailed() {
        assertThat(cli.run(
                        "--policies",
                        EXAMPLES,
                        "--workload",
                        "payments",
                        "--from",
                        FRONTEND,
                        "--method",
                        "POST",
                        "--path",
                        "/payments.v1.Payments/Charge",
                        "--output",
                        "json"))
                .isEqualTo(1);
        assertThat(cli.out())
                .contains("\"decision\" : \"deny\"")
                .contains("\"closestAllow\" : \"ns[shop]-policy[payments]-rule[0]\"")
                .contains("principal " + FRONTEND + " did not match " + ORDERS);
    }

    @Test
    void badInputExitsWithTwoAndSaysWhy() throws Exception {
        assertThat(cli.run("--policies", EXAMPLES, "--workload", "nope", "--path", "/"))
                .isEqualTo(2);
        assertThat(cli.err()).contains("no Workload 'nope'").contains("shop/orders");

        assertThat(cli.run("--policies", EXAMPLES, "--workload", "orders", "--from", "spiffe://x/../y", "--path", "/"))
                .isEqualTo(2);
        assertThat(cli.err()).contains("--from").contains("dot segments");

        assertThat(cli.run("--policies", EXAMPLES, "--workload", "orders", "--port", "1", "--path", "/"))
                .isEqualTo(2);
        assertThat(cli.err()).contains("--port: 1 is not a port of orders");

        Files.writeString(
                dir.resolve("bad.yaml"),
                "apiVersion: security.palisade.dev/v1\nkind: AuthorizationPolicy\n"
                        + "metadata: {name: x, namespace: shop}\nspec: {action: MAYBE}\n");
        assertThat(cli.run("--policies", dir.toString(), "--workload", "orders", "--path", "/"))
                .isEqualTo(2);
        assertThat(cli.err()).contains("bad.yaml").contains("spec.action");
    }
}
