package dev.palisade.controlplane.policy;

import static dev.palisade.controlplane.policy.TestYaml.authz;
import static dev.palisade.controlplane.policy.TestYaml.operation;
import static dev.palisade.controlplane.policy.TestYaml.peer;
import static dev.palisade.controlplane.policy.TestYaml.source;
import static dev.palisade.controlplane.policy.TestYaml.when;
import static dev.palisade.controlplane.policy.TestYaml.workload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.palisade.controlplane.config.MtlsMode;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyParserTest {

    private static final String FILE = "policies/bad.yaml";
    private static final String AP = FILE + ": document 1 (AuthorizationPolicy shop/p): ";
    private static final String PA = FILE + ": document 1 (PeerAuthentication shop/pa): ";
    private static final String WL = FILE + ": document 1 (Workload shop/w): ";
    private static final String TO = "spec.rules[0].to[0].operation.";
    private static final String FROM = "spec.rules[0].from[0].source.";
    private static final String WHEN = "spec.rules[0].when[0]";

    private static final String WORKLOAD_SPEC = "serviceAccount: w\naddress: 10.0.0.1\n";

    /** One YAML text per kind of mistake, and the message (file, document, object, field path, problem) it gets. */
    static Stream<Arguments> mistakes() {
        return Stream.of(
                // The document as a whole.
                arguments(
                        "YAML syntax",
                        "a: [1\n---\nb: 2\n",
                        FILE + ": document 1: YAML syntax error at line 2, column 1: expected ',' or ']', but got"
                                + " <document start> (while parsing a flow sequence)"),
                arguments(
                        "tab indentation",
                        "kind: Workload\n\tspec: {}\n",
                        FILE + ": document 1: YAML syntax error at line 2, column 1"),
                arguments(
                        "not a mapping",
                        "- a\n- b\n",
                        FILE + ": document 1: a document must be a mapping (an object with apiVersion, kind,"
                                + " metadata and spec), got a list"),
                arguments(
                        "unknown kind",
                        authz("{}").replace("kind: AuthorizationPolicy", "kind: AuthPolicy"),
                        FILE + ": document 1 (AuthPolicy shop/p): kind: 'AuthPolicy': unknown kind (expected"
                                + " AuthorizationPolicy, PeerAuthentication or Workload)"),
                arguments(
                        "missing kind",
                        authz("{}").replace("kind: AuthorizationPolicy\n", ""),
                        FILE + ": document 1 (object shop/p): kind: required field is missing"),
                arguments(
                        "unknown apiVersion",
                        authz("{}").replace("/v1", "/v2"),
                        AP + "apiVersion: 'security.palisade.dev/v2': unknown apiVersion for AuthorizationPolicy"
                                + " (expected security.palisade.dev/v1)"),
                arguments(
                        "Istio's apiVersion",
                        authz("{}").replace("security.palisade.dev/v1", "security.istio.io/v1"),
                        AP + "apiVersion: 'security.istio.io/v1': Istio's API group: write apiVersion"
                                + " security.palisade.dev/v1"),
                arguments(
                        "unknown top-level field",
                        authz("{}") + "status: {}\n",
                        AP + "status: unknown field (expected one of: apiVersion, kind, metadata, spec)"),
                arguments(
                        "missing namespace",
                        authz("{}").replace("  namespace: shop\n", ""),
                        FILE + ": document 1 (AuthorizationPolicy ?/p): metadata.namespace: required field is missing"),
                arguments(
                        "bad namespace",
                        authz("{}").replace("namespace: shop", "namespace: Shop"),
                        FILE + ": document 1 (AuthorizationPolicy Shop/p): metadata.namespace: 'Shop': must be a"
                                + " DNS-1123 label"),
                arguments(
                        "bad name",
                        authz("{}").replace("name: p", "name: p_1"),
                        FILE + ": document 1 (AuthorizationPolicy shop/p_1): metadata.name: 'p_1': must be a DNS-1123"
                                + " subdomain"),
                arguments(
                        "missing spec",
                        authz("{}").replace("spec:\n  {}\n", ""),
                        AP + "spec: required field is missing"),
                arguments(
                        "duplicate key",
                        authz("action: DENY\naction: ALLOW"),
                        AP + "spec.action: duplicate key 'action'"),
                arguments(
                        "YAML alias",
                        authz("selector: &s {matchLabels: {app: a}}\nrules: *s"),
                        AP + "spec.rules: YAML aliases ('*s') are not supported: write the value out"),
                arguments(
                        "YAML tag",
                        authz("action: !!str DENY"),
                        AP + "spec.action: YAML tags ('!!str') are not supported"),
                arguments(
                        "YAML 1.1 boolean",
                        authz("dryRun: yes"),
                        AP + "spec.dryRun: 'yes' is the boolean true in YAML 1.1: write true, or quote it"),
                arguments(
                        "duplicate object",
                        authz("{}") + "---\n" + authz("{}"),
                        FILE + ": document 2 (AuthorizationPolicy shop/p): metadata.name: duplicate"
                                + " AuthorizationPolicy shop/p: already defined in " + FILE + " document 1"),

                // AuthorizationPolicy spec.
                arguments(
                        "unknown spec field",
                        authz("actoin: DENY"),
                        AP + "spec.actoin: unknown field (expected one of: selector, action, dryRun, rules)"),
                arguments(
                        "unknown action",
                        authz("action: allow"),
                        AP + "spec.action: 'allow': unknown action (expected ALLOW, DENY or AUDIT, in upper case)"),
                arguments(
                        "CUSTOM action",
                        authz("action: CUSTOM"),
                        AP + "spec.action: 'CUSTOM': not supported: Palisade has no external authorization"),
                arguments(
                        "CUSTOM provider",
                        authz("provider: {name: ext}"),
                        AP + "spec.provider: not supported: CUSTOM (external) authorization is not available"),
                arguments(
                        "dry-run AUDIT",
                        authz("action: AUDIT\ndryRun: true"),
                        AP + "spec.dryRun: dryRun is not supported with action AUDIT"),
                arguments(
                        "boolean as a string",
                        authz("dryRun: \"true\""),
                        AP + "spec.dryRun: expected true or false, got the string 'true'"),
                arguments(
                        "null value",
                        authz("rules: null"),
                        AP + "spec.rules: has no value: give it one, or remove the field"),
                arguments(
                        "no value",
                        authz("rules:\naction: DENY"),
                        AP + "spec.rules: has no value: give it one, or remove the field"),
                arguments("empty string", authz("rules: ''"), AP + "spec.rules: expected a list, got the string ''"),
                arguments(
                        "rule not a mapping",
                        authz("rules: [allow-all]"),
                        AP + "spec.rules[0]: expected a mapping, got the string 'allow-all'"),
                arguments(
                        "selector label as a number",
                        authz("selector: {matchLabels: {version: 1.0}}"),
                        AP + "spec.selector.matchLabels.version: expected a string, got the number 1.0"
                                + " (quote it: \"1.0\")"),
                arguments(
                        "selector expressions",
                        authz("selector: {matchExpressions: []}"),
                        AP + "spec.selector.matchExpressions: not supported: workload selectors match labels"),
                arguments(
                        "from without source",
                        authz("rules:\n- from:\n  - {}"),
                        AP + "spec.rules[0].from[0].source: required field is missing"),

                // Sources.
                arguments(
                        "empty source",
                        source("{}"),
                        AP + "spec.rules[0].from[0].source: at least one of principals, notPrincipals, namespaces,"
                                + " notNamespaces, ipBlocks, notIpBlocks must be set"),
                arguments(
                        "empty principals",
                        source("principals: []"),
                        AP + FROM + "principals: must not be empty: omit the field instead"),
                arguments(
                        "principals as a string",
                        source("principals: spiffe://td/ns/a/sa/b"),
                        AP + FROM + "principals: expected a list, got the string 'spiffe://td/ns/a/sa/b'"),
                arguments(
                        "request principals",
                        source("requestPrincipals: ['*']"),
                        AP + FROM + "requestPrincipals: not supported: Palisade has no request authentication"),
                arguments(
                        "bad SPIFFE ID",
                        source("principals: ['spiffe://Demo.local/ns/shop/sa/a']"),
                        AP + FROM + "principals[0]: 'spiffe://Demo.local/ns/shop/sa/a': not a valid SPIFFE ID:"
                                + " trust domain characters are limited to"),
                arguments(
                        "SPIFFE ID with a trailing slash",
                        source("principals: ['spiffe://td/ns/shop/sa/']"),
                        AP + FROM + "principals[0]: 'spiffe://td/ns/shop/sa/': not a valid SPIFFE ID: path cannot"
                                + " have a trailing slash"),
                arguments(
                        "Istio's principal form",
                        source("principals: ['cluster.local/ns/shop/sa/a']"),
                        AP + FROM + "principals[0]: 'cluster.local/ns/shop/sa/a': must be a full SPIFFE ID"),
                arguments(
                        "principal suffix",
                        source("notPrincipals: ['*/sa/admin']"),
                        AP + FROM + "notPrincipals[0]: '*/sa/admin': must be a SPIFFE ID"),
                arguments(
                        "star inside a principal",
                        source("principals: ['spiffe://td/ns/*/sa/a']"),
                        AP + FROM + "principals[0]: 'spiffe://td/ns/*/sa/a': '*' is allowed only at the end"),
                arguments(
                        "principal prefix inside the trust domain",
                        source("principals: ['spiffe://demo*']"),
                        AP + FROM + "principals[0]: 'spiffe://demo*': a principal prefix must include the whole"
                                + " trust domain and a '/'"),
                arguments(
                        "namespace pattern",
                        source("namespaces: ['shop-*']"),
                        AP + FROM + "namespaces[0]: 'shop-*': namespace patterns are not supported"),
                arguments(
                        "CIDR prefix too long",
                        source("ipBlocks: ['10.0.0.0/33']"),
                        AP + FROM + "ipBlocks[0]: '10.0.0.0/33': the prefix length must be a decimal number from 0"
                                + " to 32"),
                arguments(
                        "CIDR host bits",
                        source("notIpBlocks: ['10.1.2.3/8']"),
                        AP + FROM + "notIpBlocks[0]: '10.1.2.3/8': host bits are set: did you mean '10.0.0.0/8'?"),
                arguments(
                        "CIDR host name",
                        source("ipBlocks: ['example.com']"),
                        AP + FROM + "ipBlocks[0]: 'example.com': must be an IPv4 or IPv6 address (no host names"),
                arguments(
                        "CIDR leading zeros",
                        source("ipBlocks: ['010.0.0.1']"),
                        AP + FROM + "ipBlocks[0]: '010.0.0.1': must be an IPv4 address in dotted decimal (four numbers"
                                + " from 0 to 255, without leading zeros)"),

                // Operations.
                arguments(
                        "empty operation",
                        operation("{}"),
                        AP + "spec.rules[0].to[0].operation: at least one of methods, notMethods, paths, notPaths,"
                                + " ports, notPorts, hosts, notHosts must be set"),
                arguments(
                        "unknown operation field",
                        operation("path: ['/a']"),
                        AP + TO + "path: unknown field (expected one of: methods, notMethods, paths, notPaths,"
                                + " ports, notPorts, hosts, notHosts)"),
                arguments(
                        "lower-case method",
                        operation("methods: ['get']"),
                        AP + TO + "methods[0]: 'get': a method must be upper-case letters"),
                arguments(
                        "star method",
                        operation("notMethods: ['*']"),
                        AP + TO + "notMethods[0]: '*': '*' is not a method: omit methods to match any method"),
                arguments(
                        "port zero",
                        operation("ports: ['0']"),
                        AP + TO + "ports[0]: '0': must be a port number from 1 to 65535 in decimal"),
                arguments(
                        "port too large",
                        operation("notPorts: ['65536']"),
                        AP + TO + "notPorts[0]: '65536': must be a port number from 1 to 65535 in decimal"),
                arguments(
                        "port with a leading zero",
                        operation("ports: ['08080']"),
                        AP + TO + "ports[0]: '08080': must be a port number from 1 to 65535 in decimal"),
                arguments(
                        "unquoted port",
                        operation("ports: [8080]"),
                        AP + TO + "ports[0]: expected a string, got the number 8080 (quote it: \"8080\")"),
                arguments(
                        "path without a slash",
                        operation("paths: ['v1/x']"),
                        AP + TO + "paths[0]: 'v1/x': must start with '/', or be '*' or '*suffix'"),
                arguments(
                        "star inside a path",
                        operation("paths: ['/a', '/v1/*/x']"),
                        AP + TO + "paths[1]: '/v1/*/x': '*' is allowed only at the start or end"),
                arguments(
                        "stars at both ends of a path",
                        operation("notPaths: ['*admin*']"),
                        AP + TO + "notPaths[0]: '*admin*': '*' is allowed at the start or at the end, not both"),
                arguments(
                        "whitespace in a path",
                        operation("paths: ['/a b']"),
                        AP + TO + "paths[0]: '/a b': whitespace is not allowed"),
                arguments(
                        "control character in a path",
                        operation("paths: [\"/a\\x01b\"]"),
                        AP + TO + "paths[0]: '/a\\x01b': control characters are not allowed"),
                arguments(
                        "query in a path",
                        operation("paths: ['/a?b=1']"),
                        AP + TO + "paths[0]: '/a?b=1': '?' is not allowed: paths are matched without the query"),
                arguments(
                        "fragment in a path",
                        operation("paths: ['/a#top']"),
                        AP + TO + "paths[0]: '/a#top': '#' is not allowed"),
                arguments(
                        "dot segment in a path",
                        operation("paths: ['/public/../admin']"),
                        AP + TO + "paths[0]: '/public/../admin': dot segments ('.', '..') never match"),
                arguments(
                        "double slash in a path",
                        operation("paths: ['/a//b']"),
                        AP + TO + "paths[0]: '/a//b': '//' never matches: the sidecar merges repeated slashes"),
                arguments(
                        "encoded unreserved character",
                        operation("paths: ['/%61dmin']"),
                        AP + TO + "paths[0]: '/%61dmin': '%61' encodes 'a': write 'a'"),
                arguments(
                        "encoded slash",
                        operation("paths: ['/a%2Fb']"),
                        AP + TO + "paths[0]: '/a%2Fb': an encoded '/' or '\\' never matches"),
                arguments(
                        "lower-case escape",
                        operation("paths: ['/a%2fb']"),
                        AP + TO + "paths[0]: '/a%2fb': '%' must be followed by two upper-case hex digits"),
                arguments(
                        "path parameter",
                        operation("paths: ['/a;v=1']"),
                        AP + TO + "paths[0]: '/a;v=1': ';' is not allowed"),
                arguments(
                        "backslash in a path",
                        operation("paths: ['/a\\b']"),
                        AP + TO + "paths[0]: '/a\\b': '\\' is not allowed"),
                arguments(
                        "star host",
                        operation("hosts: ['*']"),
                        AP + TO + "hosts[0]: '*': '*' would match any host: omit hosts instead"),
                arguments(
                        "host suffix without a dot",
                        operation("hosts: ['*example.com']"),
                        AP + TO + "hosts[0]: '*example.com': a host wildcard must be '*.' followed by a domain"),
                arguments(
                        "host with a trailing dot",
                        operation("notHosts: ['api.example.']"),
                        AP + TO + "notHosts[0]: 'api.example.': a trailing '.' never matches"),
                arguments(
                        "host with a default port",
                        operation("hosts: ['api.example:80']"),
                        AP + TO + "hosts[0]: 'api.example:80': the sidecar removes a default port"),

                // Conditions.
                arguments(
                        "condition without values",
                        when("key: source.ip"),
                        AP + WHEN + ": one of values or notValues must be set"),
                arguments(
                        "condition without key", when("values: ['a']"), AP + WHEN + ".key: required field is missing"),
                arguments(
                        "JWT condition",
                        when("key: request.auth.claims[iss]\nvalues: ['x']"),
                        AP + WHEN + ".key: 'request.auth.claims[iss]': not supported: Palisade has no request"
                                + " authentication (JWT)"),
                arguments(
                        "unknown condition key",
                        when("key: destination.labels[app]\nvalues: ['x']"),
                        AP + WHEN + ".key: 'destination.labels[app]': unknown condition key: the supported keys"
                                + " are request.headers[<name>], source.principal, source.namespace, source.ip and"
                                + " destination.port"),
                arguments(
                        "pseudo-header condition",
                        when("key: request.headers[:path]\nvalues: ['/a']"),
                        AP + WHEN + ".key: 'request.headers[:path]': pseudo-headers cannot be tested"),
                arguments(
                        "empty header name",
                        when("key: request.headers[]\nvalues: ['a']"),
                        AP + WHEN + ".key: 'request.headers[]': the header name is empty"),
                arguments(
                        "peer identity header condition",
                        when("key: request.headers[X-Palisade-Peer-Identity]\nvalues: ['a']"),
                        AP + WHEN + ".key: 'request.headers[X-Palisade-Peer-Identity]': the sidecar sets"
                                + " x-palisade-peer-identity"),
                arguments(
                        "header value with a star inside",
                        when("key: request.headers[x-t]\nvalues: ['a*b']"),
                        AP + WHEN + ".values[0]: 'a*b': '*' is allowed only at the start or end"),
                arguments(
                        "header value with trailing space",
                        when("key: request.headers[x-t]\nvalues: ['a ']"),
                        AP + WHEN + ".values[0]: 'a ': leading or trailing whitespace never matches"),
                arguments(
                        "source.ip condition with a bad block",
                        when("key: source.ip\nnotValues: ['10.0.0.1/33']"),
                        AP + WHEN + ".notValues[0]: '10.0.0.1/33': the prefix length must be"),
                arguments(
                        "destination.port condition with a bad port",
                        when("key: destination.port\nvalues: ['x']"),
                        AP + WHEN + ".values[0]: 'x': must be a port number"),

                // PeerAuthentication.
                arguments(
                        "DISABLE mode",
                        peer("mtls: {mode: DISABLE}"),
                        PA + "spec.mtls.mode: 'DISABLE': not supported: a Palisade sidecar always accepts mTLS"),
                arguments(
                        "unknown mode",
                        peer("mtls: {mode: strict}"),
                        PA + "spec.mtls.mode: 'strict': unknown mode (expected STRICT or PERMISSIVE"),
                arguments("missing mtls", peer("{}"), PA + "spec.mtls: required field is missing"),
                arguments(
                        "port-level mode without a selector",
                        peer("mtls: {mode: STRICT}\nportLevelMtls: {'8080': {mode: PERMISSIVE}}"),
                        PA + "spec.portLevelMtls: portLevelMtls requires a selector (as in Istio)"),
                arguments(
                        "port-level mode on a named port",
                        peer("selector: {matchLabels: {app: a}}\nmtls: {mode: STRICT}\n"
                                + "portLevelMtls: {http: {mode: PERMISSIVE}}"),
                        PA + "spec.portLevelMtls.http: 'http': must be a port number"),

                // Workload.
                arguments(
                        "workload labels in metadata",
                        workload(WORKLOAD_SPEC).replace("  namespace: shop\n", "  namespace: shop\n  labels: {a: b}\n"),
                        WL + "metadata.labels: not supported: a Workload's labels, which selectors match, are"
                                + " spec.labels"),
                arguments(
                        "missing service account",
                        workload("address: 10.0.0.1"),
                        WL + "spec.serviceAccount: required field is missing"),
                arguments(
                        "host name address",
                        workload("serviceAccount: w\naddress: localhost"),
                        WL + "spec.address: 'localhost': must be an IPv4 or IPv6 address (no host names"),
                arguments(
                        "unknown protocol",
                        workload(WORKLOAD_SPEC + "ports: [{name: dns, port: 53, protocol: UDP}]"),
                        WL + "spec.ports[0].protocol: 'UDP': unknown protocol (expected HTTP, HTTP2, GRPC or TCP"),
                arguments(
                        "port as a string",
                        workload(WORKLOAD_SPEC + "ports: [{name: http, port: '8080', protocol: HTTP}]"),
                        WL + "spec.ports[0].port: expected a port number, got the string '8080'"),
                arguments(
                        "octal port",
                        workload(WORKLOAD_SPEC + "ports: [{name: http, port: 010, protocol: HTTP}]"),
                        WL + "spec.ports[0].port: '010' is not a plain decimal number (YAML reads it as 8)"),
                arguments(
                        "port declared twice",
                        workload(WORKLOAD_SPEC + "ports: [{name: a, port: 80, protocol: HTTP},"
                                + " {name: b, port: 80, protocol: TCP}]"),
                        WL + "spec.ports[1].port: 80: port declared twice"),
                arguments(
                        "port out of range",
                        workload(WORKLOAD_SPEC + "ports: [{name: a, port: 70000, protocol: HTTP}]"),
                        WL + "spec.ports[0].port: 70000: must be a port number from 1 to 65535"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void refusesEachKindOfMistakeNamingFileDocumentObjectAndField(String mistake, String yaml, String expected) {
        assertThatThrownBy(() -> PolicyParser.parse(FILE, yaml))
                .isInstanceOfSatisfying(PolicyLoadException.class, e -> assertThat(e.errors())
                        .as("errors of %s", mistake)
                        .map(Throwable::getMessage)
                        .anySatisfy(m -> assertThat(m).startsWith(expected)));
    }

    @Test
    void collectsAllErrorsOfATextNotOnlyTheFirst() {
        String yaml = operation("methods: ['get']\npaths: ['/a', 'b']")
                + "---\n"
                + TestYaml.object("security.palisade.dev/v1", "AuthorizationPolicy", "shop", "good", "{}")
                + "---\n"
                + peer("mtls: {mode: STRICT}\nextra: 1");

        assertThatThrownBy(() -> PolicyParser.parse(FILE, yaml))
                .isInstanceOfSatisfying(PolicyLoadException.class, e -> {
                    assertThat(e.errors())
                            .extracting(PolicyException::document, PolicyException::field)
                            .containsExactly(
                                    tuple(1, TO + "methods[0]"), tuple(1, TO + "paths[1]"), tuple(3, "spec.extra"));
                    assertThat(e.getMessage())
                            .startsWith(FILE + ": 3 problems")
                            .contains(AP + TO + "methods[0]: 'get'")
                            .contains(AP + TO + "paths[1]: 'b'")
                            .contains(FILE + ": document 3 (PeerAuthentication shop/pa): spec.extra: unknown field");
                });
    }

    @Test
    void escapesControlCharactersInMessages() {
        String yaml = operation("paths: [\"/a\\nb\"]");

        assertThatThrownBy(() -> PolicyParser.parse(FILE, yaml))
                .hasMessageContaining("'/a\\x0ab'")
                .hasMessageNotContaining("/a\nb");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/",
                "/orders",
                "/orders/*",
                "/orders*",
                "*.js",
                "*",
                "/a%20b",
                "/.well-known/*",
                "/v1/.git*",
                "/payments.v1.Payments/*",
                "/a/b:c@d!$&'()+,=~_-",
                "*/edit"
            })
    void acceptsPathsInTheFormTheSidecarMatches(String path) throws PolicyLoadException {
        List<PolicyObject> objects = PolicyParser.parse(FILE, operation("paths: [\"" + path + "\"]"));

        assertThat(((AuthorizationPolicy) objects.get(0))
                        .rules()
                        .get(0)
                        .to()
                        .get(0)
                        .paths())
                .containsExactly(path);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "*", "spiffe://cluster.local/ns/shop/sa/orders", "spiffe://cluster.local/ns/shop/*",
                "spiffe://cluster.local/*", "spiffe://cluster.local/ns/shop/sa/front*", "spiffe://other.org/x"
            })
    void acceptsPrincipalsExactPrefixAndAny(String principal) throws PolicyLoadException {
        List<PolicyObject> objects = PolicyParser.parse(FILE, source("principals: ['" + principal + "']"));

        assertThat(((AuthorizationPolicy) objects.get(0))
                        .rules()
                        .get(0)
                        .from()
                        .get(0)
                        .principals())
                .containsExactly(principal);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/8", "10.1.2.3", "0.0.0.0/0", "2001:db8::/32", "::1", "fe80::1/128"})
    void acceptsAddressesAndCidrBlocks(String block) throws PolicyLoadException {
        List<PolicyObject> objects = PolicyParser.parse(FILE, source("ipBlocks: ['" + block + "']"));

        assertThat(((AuthorizationPolicy) objects.get(0))
                        .rules()
                        .get(0)
                        .from()
                        .get(0)
                        .ipBlocks())
                .containsExactly(block);
    }

    @Test
    void readsEveryFieldOfAnAuthorizationPolicy() throws PolicyLoadException {
        String yaml =
                """
                # a comment
                apiVersion: security.palisade.dev/v1
                kind: AuthorizationPolicy
                metadata:
                  name: payments
                  namespace: shop
                  labels: {team: pay}
                  annotations: {example.com/owner: "pay team"}
                spec:
                  selector: {matchLabels: {app: payments}}
                  action: DENY
                  dryRun: true
                  rules:
                  - from:
                    - source:
                        principals: ["spiffe://cluster.local/ns/shop/sa/checkout"]
                        notPrincipals: ["spiffe://cluster.local/ns/shop/sa/bad"]
                        namespaces: [shop]
                        notNamespaces: [dev]
                        ipBlocks: ["10.0.0.0/8"]
                        notIpBlocks: ["10.9.0.0/16"]
                    to:
                    - operation:
                        methods: [POST]
                        notMethods: [DELETE]
                        paths: ["/v1/charge", "/v1/refund/*"]
                        notPaths: ["*.bak"]
                        ports: ["8080"]
                        notPorts: ["9090"]
                        hosts: ["pay.example", "*.pay.example"]
                        notHosts: ["old.pay.example:8443"]
                    when:
                    - key: request.headers[X-Tenant]
                      values: ["acme"]
                      notValues: ["evil*"]
                  - {}
                """;

        List<PolicyObject> objects = PolicyParser.parse(FILE, yaml);

        AuthorizationPolicy expected = AuthorizationPolicy.builder("shop", "payments")
                .selector(new WorkloadSelector(Map.of("app", "payments")))
                .action(PolicyAction.DENY)
                .dryRun(true)
                .rules(List.of(
                        new Rule(
                                List.of(Source.builder()
                                        .principals(List.of("spiffe://cluster.local/ns/shop/sa/checkout"))
                                        .notPrincipals(List.of("spiffe://cluster.local/ns/shop/sa/bad"))
                                        .namespaces(List.of("shop"))
                                        .notNamespaces(List.of("dev"))
                                        .ipBlocks(List.of("10.0.0.0/8"))
                                        .notIpBlocks(List.of("10.9.0.0/16"))
                                        .build()),
                                List.of(Operation.builder()
                                        .methods(List.of("POST"))
                                        .notMethods(List.of("DELETE"))
                                        .paths(List.of("/v1/charge", "/v1/refund/*"))
                                        .notPaths(List.of("*.bak"))
                                        .ports(List.of("8080"))
                                        .notPorts(List.of("9090"))
                                        .hosts(List.of("pay.example", "*.pay.example"))
                                        .notHosts(List.of("old.pay.example:8443"))
                                        .build()),
                                List.of(new Condition("request.headers[X-Tenant]", List.of("acme"), List.of("evil*")))),
                        Rule.ANY))
                .build();
        assertThat(objects).containsExactly(expected);
        assertThat(expected.rules().get(0).when().get(0).headerName()).isEqualTo("x-tenant");
    }

    @Test
    void emptyDocumentsAreSkippedAsKubectlSkipsThem() throws PolicyLoadException {
        String yaml = "---\n# a header comment only\n---\n" + authz("{}") + "---\n";

        List<PolicyObject> objects = PolicyParser.parse(FILE, yaml);

        assertThat(objects).hasSize(1);
        assertThatThrownBy(() -> PolicyParser.parse(FILE, "---\n- a list\n---\n" + authz("{}")))
                .as("a document with something in it is still read")
                .hasMessageContaining("document 1: a document must be a mapping");
    }

    @Test
    void defaultsWhatIstioDefaultsAndNothingElse() throws PolicyLoadException {
        List<PolicyObject> objects = PolicyParser.parse(FILE, authz("{}"));

        assertThat(objects)
                .containsExactly(AuthorizationPolicy.builder("shop", "p").build())
                .first()
                .satisfies(o -> {
                    AuthorizationPolicy p = (AuthorizationPolicy) o;
                    assertThat(p.action()).isEqualTo(PolicyAction.ALLOW);
                    assertThat(p.dryRun()).isFalse();
                    assertThat(p.selector().selectsAll()).isTrue();
                    assertThat(p.rules()).isEmpty();
                });
    }

    @Test
    void readsPeerAuthenticationsAndWorkloads() throws PolicyLoadException {
        String yaml = peer("selector: {matchLabels: {app: db}}\nmtls: {mode: STRICT}\n"
                        + "portLevelMtls:\n  '5432': {mode: PERMISSIVE}")
                + "---\n"
                + workload(
                        "serviceAccount: db\nlabels: {app: db, tier: data}\naddress: 10.0.0.7\n"
                                + "ports:\n- {name: pg, port: 5432, protocol: TCP}\n- {name: http, port: 8080, protocol: HTTP}");

        List<PolicyObject> objects = PolicyParser.parse(FILE, yaml);

        assertThat(objects)
                .containsExactly(
                        PeerAuthentication.builder("shop", "pa", MtlsMode.STRICT)
                                .selector(new WorkloadSelector(Map.of("app", "db")))
                                .portLevelMtls(Map.of(5432, MtlsMode.PERMISSIVE))
                                .build(),
                        Workload.builder("shop", "w")
                                .serviceAccount("db")
                                .labels(Map.of("app", "db", "tier", "data"))
                                .address("10.0.0.7")
                                .ports(List.of(
                                        new WorkloadPort("pg", 5432, PortProtocol.TCP),
                                        new WorkloadPort("http", 8080, PortProtocol.HTTP)))
                                .build());
    }

    @Test
    void skipsEmptyDocumentsButCountsThem() {
        String yaml = "---\n---\n" + authz("bogus: 1");

        assertThatThrownBy(() -> PolicyParser.parse(FILE, yaml))
                .hasMessageContaining(FILE + ": document 2 (AuthorizationPolicy shop/p): spec.bogus");
    }

    @Test
    void parsesAnEmptyTextToNothing() throws PolicyLoadException {
        assertThat(PolicyParser.parse(FILE, "")).isEmpty();
        assertThat(PolicyParser.parse(FILE, "# nothing yet\n")).isEmpty();
    }
}
