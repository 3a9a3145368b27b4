package dev.palisade.proxy.authz;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A fluent, mutable description of a request that is already normalised (tests of the engine
 * alone); defaults: {@code GET /} to {@code payments.shop} on port 8080 from
 * {@code spiffe://cluster.local/ns/shop/sa/checkout} at 10.1.2.3. {@link #toString()} names it
 * for parameterized tests.
 */
final class TestRequest {

    static final String CHECKOUT = "spiffe://cluster.local/ns/shop/sa/checkout";

    private String method = "GET";
    private String path = "/";
    private String authority = "payments.shop";
    private @Nullable String query;
    private final Map<String, List<String>> headers = new LinkedHashMap<>();
    private @Nullable String principal = CHECKOUT;
    private @Nullable String sourceIp = "10.1.2.3";
    private @Nullable String destinationIp = "10.9.9.9";
    private int port = 8080;
    private @Nullable String serverName;

    static TestRequest get(String path) {
        return new TestRequest().path(path);
    }

    static TestRequest request() {
        return new TestRequest();
    }

    TestRequest method(String method) {
        this.method = method;
        return this;
    }

    TestRequest path(String path) {
        this.path = path;
        return this;
    }

    TestRequest query(@Nullable String query) {
        this.query = query;
        return this;
    }

    TestRequest authority(String authority) {
        this.authority = authority;
        return this;
    }

    /** Adds one header field per value, in order; the name is lower-cased, as the normaliser does. */
    TestRequest header(String name, String... values) {
        headers.computeIfAbsent(name.toLowerCase(java.util.Locale.ROOT), n -> new ArrayList<>())
                .addAll(Arrays.asList(values));
        return this;
    }

    TestRequest principal(@Nullable String principal) {
        this.principal = principal;
        return this;
    }

    TestRequest plaintext() {
        return principal(null);
    }

    TestRequest sourceIp(@Nullable String sourceIp) {
        this.sourceIp = sourceIp;
        return this;
    }

    TestRequest destinationIp(@Nullable String destinationIp) {
        this.destinationIp = destinationIp;
        return this;
    }

    TestRequest port(int port) {
        this.port = port;
        return this;
    }

    TestRequest serverName(@Nullable String serverName) {
        this.serverName = serverName;
        return this;
    }

    NormalizedRequest normalized() {
        return new NormalizedRequest(method, path, query, authority, headers);
    }

    AuthzRequest build() {
        return AuthzRequest.builder(normalized())
                .peerPrincipal(principal)
                .sourceIp(ip(sourceIp))
                .destinationIp(ip(destinationIp))
                .destinationPort(port)
                .requestedServerName(serverName)
                .build();
    }

    /** The same connection facts around a request that went through the normaliser. */
    AuthzRequest around(NormalizedRequest normalized) {
        return AuthzRequest.builder(normalized)
                .peerPrincipal(principal)
                .sourceIp(ip(sourceIp))
                .destinationIp(ip(destinationIp))
                .destinationPort(port)
                .requestedServerName(serverName)
                .build();
    }

    static @Nullable InetAddress ip(@Nullable String literal) {
        if (literal == null) {
            return null;
        }
        if (Cidr.parseLiteral(literal) == null) {
            throw new IllegalArgumentException("not an IP literal: " + literal);
        }
        try {
            return InetAddress.getByName(literal); // a checked literal: no DNS lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder().append(method).append(' ').append(path);
        if (query != null) {
            out.append('?').append(query);
        }
        if (!authority.equals("payments.shop")) {
            out.append(" @").append(authority);
        }
        headers.forEach(
                (name, values) -> out.append(' ').append(name).append('=').append(values));
        if (principal == null) {
            out.append(" plaintext");
        } else if (!principal.equals(CHECKOUT)) {
            out.append(" from ").append(principal);
        }
        if (sourceIp != null && !sourceIp.equals("10.1.2.3")) {
            out.append(" src ").append(sourceIp);
        }
        if (destinationIp != null && !destinationIp.equals("10.9.9.9")) {
            out.append(" dst ").append(destinationIp);
        }
        if (port != 8080) {
            out.append(" port ").append(port);
        }
        if (serverName != null) {
            out.append(" sni ").append(serverName);
        }
        return TestStrings.escape(out.toString());
    }
}
