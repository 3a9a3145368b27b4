package dev.palisade.proxy.outbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.SpiffeId;
import org.jspecify.annotations.Nullable;

/**
 * An outbound upstream declared on the command line, for a sidecar without transparent capture (a laptop, a VM): the
 * app connects to {@code 127.0.0.1:listenPort} and the sidecar carries the connection over mTLS to {@code
 * host:port}, the remote sidecar's inbound listener.
 *
 * <p>Written {@code NAME=LOCAL_PORT:HOST:PORT[:EXPECTED_ID]} ({@code --upstream
 * payments=9001:payments.shop:15006:spiffe://cluster.local/ns/shop/sa/payments}). An IPv6 host goes in brackets
 * ({@code [fd00::1]}). Without an expected ID, any server of this workload's trust domain is accepted.
 *
 * @param name a label for logs and metrics (letters, digits, {@code . _ -})
 * @param listenPort the local port the app connects to; 0 picks a free port (tests)
 * @param host the remote sidecar's host name or IP literal (without brackets)
 * @param port the remote sidecar's inbound port
 * @param expectedPeer the only SPIFFE ID the server may present, or {@code null} for any member of the trust domain
 */
public record ExplicitUpstream(String name, int listenPort, String host, int port, @Nullable SpiffeId expectedPeer) {

    public ExplicitUpstream {
        requireNonNull(name, "name");
        requireNonNull(host, "host");
        if (name.isEmpty() || !name.chars().allMatch(ExplicitUpstream::isNameChar)) {
            throw new IllegalArgumentException(
                    "upstream name: '" + name + "' (expected: letters, digits, '.', '_' or '-')");
        }
        if (listenPort < 0 || listenPort > 65535) {
            throw new IllegalArgumentException(
                    "upstream " + name + ": local port " + listenPort + " (expected: 0..65535)");
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("upstream " + name + ": empty host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("upstream " + name + ": port " + port + " (expected: 1..65535)");
        }
    }

    /**
     * Parses {@code NAME=LOCAL_PORT:HOST:PORT[:EXPECTED_ID]}.
     *
     * @throws IllegalArgumentException naming the part that is wrong and echoing it
     */
    public static ExplicitUpstream parse(String spec) {
        requireNonNull(spec, "spec");
        int eq = spec.indexOf('=');
        if (eq < 0) {
            throw invalid(spec, "missing '=' after the name");
        }
        String name = spec.substring(0, eq);
        String rest = spec.substring(eq + 1);
        int colon = rest.indexOf(':');
        if (colon < 0) {
            throw invalid(spec, "missing ':' after the local port");
        }
        int listenPort = port(spec, "local port", rest.substring(0, colon), 0);
        rest = rest.substring(colon + 1);
        String host;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                throw invalid(spec, "IPv6 host without a closing ']'");
            }
            host = rest.substring(1, close);
            rest = rest.substring(close + 1);
            if (!rest.startsWith(":")) {
                throw invalid(spec, "missing ':' and port after host [" + host + "]");
            }
            rest = rest.substring(1);
        } else {
            colon = rest.indexOf(':');
            if (colon < 0) {
                throw invalid(spec, "missing ':' and port after host '" + rest + "'");
            }
            host = rest.substring(0, colon);
            rest = rest.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw invalid(spec, "empty host");
        }
        colon = rest.indexOf(':');
        String portText = colon < 0 ? rest : rest.substring(0, colon);
        int port = port(spec, "port", portText, 1);
        SpiffeId expected = null;
        if (colon >= 0) {
            String id = rest.substring(colon + 1);
            try {
                expected = SpiffeId.parse(id);
            } catch (InvalidSpiffeIdException e) {
                throw invalid(spec, "expected ID '" + id + "': " + e.getMessage());
            }
        }
        try {
            return new ExplicitUpstream(name, listenPort, host, port, expected);
        } catch (IllegalArgumentException e) {
            throw invalid(spec, e.getMessage());
        }
    }

    /** The spec this upstream parses from. */
    @Override
    public String toString() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return name + "=" + listenPort + ":" + h + ":" + port + (expectedPeer == null ? "" : ":" + expectedPeer);
    }

    private static int port(String spec, String what, String text, int min) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(spec, what + " '" + text + "' (expected: a number " + min + "..65535)");
        }
        int value = Integer.parseInt(text);
        if (value < min || value > 65535) {
            throw invalid(spec, what + " " + value + " (expected: " + min + "..65535)");
        }
        return value;
    }

    private static IllegalArgumentException invalid(String spec, @Nullable String detail) {
        return new IllegalArgumentException(
                "--upstream '" + spec + "': " + detail + " (expected: NAME=LOCAL_PORT:HOST:PORT[:EXPECTED_ID])");
    }

    private static boolean isNameChar(int c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '.'
                || c == '_'
                || c == '-';
    }
}
