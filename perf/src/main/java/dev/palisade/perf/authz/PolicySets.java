package dev.palisade.perf.authz;

import dev.palisade.proxy.authz.AuthzEngine;
import dev.palisade.proxy.authz.AuthzRequest;
import dev.palisade.proxy.authz.NormalizedRequest;
import dev.palisade.proxy.authz.RbacCompiler;
import dev.palisade.proxy.authz.RbacConfigException;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Rule sets and request mixes for the authorization benchmarks, shaped as the control plane
 * compiles Istio-style {@code AuthorizationPolicy} rules (one Envoy RBAC policy per rule, each
 * field an {@code or_rules} of its values, the fields of a rule an {@code and_rules}).
 *
 * <p>A set of {@code n} rules has {@code max(1, n / 10)} DENY rules ({@code to: paths
 * ["/api/svcJ/admin*"], from: notNamespaces: [ops]}) and the rest ALLOW rules, one per service
 * {@code svcI}: {@code to: methods [GET, POST] (every other rule [GET]), paths ["/api/svcI/*",
 * "/api/svcI/health"]}, every fourth rule also {@code hosts: ["svcI.shop"]}, every fifth {@code
 * ports: [8080]}; {@code from:} the workload's principal, or every third rule a namespace. No rule
 * looks at a header other than {@code :method}, {@code :authority} and {@code :path}, so the
 * decision cache applies, as it does for most meshes.
 *
 * <p>The request mix (fixed seed): 70 % allowed by a uniformly chosen ALLOW rule, 10 % denied by a
 * DENY rule, 20 % matching no ALLOW rule (a foreign principal on a real path, or an unknown path).
 * Paths come from ten hot ones per service, and for a fifth of requests from a long tail of IDs,
 * so that the cache also sees misses. Every request carries the headers a browser or SDK sends.
 */
final class PolicySets {

    static final String TRUST_DOMAIN = "cluster.local";
    private static final long SEED = 0x9a1_15adeL;
    private static final String FOREIGN = "spiffe://" + TRUST_DOMAIN + "/ns/evil/sa/intruder";
    private static final InetAddress SOURCE = InetAddress.getLoopbackAddress();

    private PolicySets() {}

    /** {@code rules} rules, compiled as the sidecar compiles them. */
    static AuthzEngine engine(int rules) {
        if (rules < 2) {
            throw new IllegalArgumentException("rules: " + rules + " (expected: >= 2)");
        }
        int denies = denyCount(rules);
        RBAC.Builder deny = RBAC.newBuilder();
        io.envoyproxy.envoy.config.rbac.v3.RBAC.Builder denyRules = io.envoyproxy
                .envoy
                .config
                .rbac
                .v3
                .RBAC
                .newBuilder()
                .setAction(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY);
        for (int j = 0; j < denies; j++) {
            denyRules.putPolicies(
                    name("no-admin", j),
                    policy(
                            and(or(urlPath(prefix("/api/svc" + j + "/admin")))),
                            andIds(notId(orIds(namespace("ops"))))));
        }
        deny.setRules(denyRules);
        io.envoyproxy.envoy.config.rbac.v3.RBAC.Builder allowRules = io.envoyproxy
                .envoy
                .config
                .rbac
                .v3
                .RBAC
                .newBuilder()
                .setAction(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW);
        for (int i = 0; i < rules - denies; i++) {
            List<Permission> fields = new ArrayList<>();
            fields.add(i % 2 == 0 ? or(method("GET"), method("POST")) : or(method("GET")));
            fields.add(or(urlPath(prefix("/api/svc" + i + "/")), urlPath(exact("/api/svc" + i + "/health"))));
            if (i % 4 == 3) {
                fields.add(or(host("svc" + i + ".shop")));
            }
            if (i % 5 == 4) {
                fields.add(or(port(8080)));
            }
            Principal from = i % 3 == 2 ? orIds(namespace(namespaceOf(i))) : orIds(principal(principalOf(i)));
            allowRules.putPolicies(name("svc", i), policy(and(fields.toArray(new Permission[0])), andIds(from)));
        }
        RBAC allow = RBAC.newBuilder().setRules(allowRules).build();
        try {
            return RbacCompiler.compile("bench-" + rules, List.of(deny.build(), allow));
        } catch (RbacConfigException e) {
            throw new IllegalStateException("the benchmark rule set does not compile", e);
        }
    }

    /** {@code count} requests of the mix for a set of {@code rules} rules (see the class comment). */
    static AuthzRequest[] requests(int rules, int count) {
        SplittableRandom random = new SplittableRandom(SEED + rules);
        int denies = denyCount(rules);
        int allows = rules - denies;
        AuthzRequest[] requests = new AuthzRequest[count];
        for (int r = 0; r < count; r++) {
            int kind = random.nextInt(10);
            int i = random.nextInt(allows);
            String method = i % 2 == 0 && random.nextBoolean() ? "POST" : "GET";
            String authority = i % 4 == 3 ? "svc" + i + ".shop" : "payments.shop";
            String principal = i % 3 == 2 ? principalIn(namespaceOf(i), random) : principalOf(i);
            String path = "/api/svc" + i + "/items/"
                    + (random.nextInt(5) == 0 ? 100_000 + random.nextInt(1_000_000) : random.nextInt(10));
            if (kind == 7) {
                // DENY: an admin path of a service that has a DENY rule, from outside ops.
                int j = random.nextInt(denies);
                path = "/api/svc" + j + "/admin/users";
                method = "GET";
                authority = "payments.shop";
            } else if (kind == 8) {
                principal = FOREIGN;
            } else if (kind == 9) {
                path = "/unknown/" + random.nextInt(10);
            }
            requests[r] = request(method, path, authority, principal);
        }
        return requests;
    }

    /** The header fields of a typical HTTP/1.1 API request, in arrival order, Host first. */
    static List<Map.Entry<String, String>> http1Headers(String host, int requestNumber) {
        return List.of(
                Map.entry("Host", host),
                Map.entry("User-Agent", "okhttp/4.12.0"),
                Map.entry("Accept", "application/json, text/plain;q=0.9, */*;q=0.8"),
                Map.entry("Accept-Encoding", "gzip, deflate, br"),
                Map.entry("Accept-Language", "en-GB,en;q=0.9"),
                Map.entry("Content-Type", "application/json"),
                Map.entry("Content-Length", "342"),
                Map.entry("Connection", "keep-alive"),
                Map.entry("X-Request-Id", String.format(Locale.ROOT, "6f1c2a7e-0b4d-4e8a-9d3f-%012d", requestNumber)),
                Map.entry("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                Map.entry("X-Tenant", "acme"),
                Map.entry("Authorization", "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjaGVja291dCJ9.c2lnbmF0dXJl"));
    }

    private static AuthzRequest request(String method, String path, String authority, String principal) {
        NormalizedRequest http = new NormalizedRequest(
                method,
                path,
                null,
                authority,
                Map.of(
                        "user-agent", List.of("okhttp/4.12.0"),
                        "accept", List.of("application/json"),
                        "x-request-id", List.of("6f1c2a7e-0b4d-4e8a-9d3f-1c2b3a4d5e6f")));
        return AuthzRequest.builder(http)
                .peerPrincipal(principal)
                .sourceIp(SOURCE)
                .destinationIp(SOURCE)
                .destinationPort(8080)
                .build();
    }

    private static int denyCount(int rules) {
        return Math.max(1, rules / 10);
    }

    private static String namespaceOf(int rule) {
        return "ns" + (rule % 20);
    }

    private static String principalOf(int rule) {
        return "spiffe://" + TRUST_DOMAIN + "/ns/" + namespaceOf(rule) + "/sa/client" + rule;
    }

    private static String principalIn(String namespace, SplittableRandom random) {
        return "spiffe://" + TRUST_DOMAIN + "/ns/" + namespace + "/sa/worker" + random.nextInt(4);
    }

    private static String name(String policy, int index) {
        return String.format(Locale.ROOT, "ns[shop]-policy[%s-%04d]-rule[0]", policy, index);
    }

    private static Policy policy(Permission permission, Principal principal) {
        return Policy.newBuilder()
                .addPermissions(permission)
                .addPrincipals(principal)
                .build();
    }

    private static Permission and(Permission... rules) {
        return Permission.newBuilder()
                .setAndRules(Permission.Set.newBuilder().addAllRules(List.of(rules)))
                .build();
    }

    private static Permission or(Permission... rules) {
        return Permission.newBuilder()
                .setOrRules(Permission.Set.newBuilder().addAllRules(List.of(rules)))
                .build();
    }

    private static Permission method(String method) {
        return header(":method", exact(method));
    }

    private static Permission host(String host) {
        return header(":authority", exact(host).toBuilder().setIgnoreCase(true).build());
    }

    private static Permission header(String name, StringMatcher matcher) {
        return Permission.newBuilder()
                .setHeader(HeaderMatcher.newBuilder().setName(name).setStringMatch(matcher))
                .build();
    }

    private static Permission urlPath(StringMatcher matcher) {
        return Permission.newBuilder()
                .setUrlPath(PathMatcher.newBuilder().setPath(matcher))
                .build();
    }

    private static Permission port(int port) {
        return Permission.newBuilder().setDestinationPort(port).build();
    }

    private static StringMatcher exact(String value) {
        return StringMatcher.newBuilder().setExact(value).build();
    }

    private static StringMatcher prefix(String value) {
        return StringMatcher.newBuilder().setPrefix(value).build();
    }

    private static Principal principal(String spiffeId) {
        return authenticated(exact(spiffeId));
    }

    private static Principal namespace(String namespace) {
        return authenticated(prefix("spiffe://" + TRUST_DOMAIN + "/ns/" + namespace + "/sa/"));
    }

    private static Principal authenticated(StringMatcher name) {
        return Principal.newBuilder()
                .setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(name))
                .build();
    }

    private static Principal andIds(Principal... ids) {
        return Principal.newBuilder()
                .setAndIds(Principal.Set.newBuilder().addAllIds(List.of(ids)))
                .build();
    }

    private static Principal orIds(Principal... ids) {
        return Principal.newBuilder()
                .setOrIds(Principal.Set.newBuilder().addAllIds(List.of(ids)))
                .build();
    }

    private static Principal notId(Principal id) {
        return Principal.newBuilder().setNotId(id).build();
    }
}
