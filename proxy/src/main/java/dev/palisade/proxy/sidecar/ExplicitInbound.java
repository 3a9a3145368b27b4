package dev.palisade.proxy.sidecar;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;

/**
 * An inbound listener bound for one app port, for a sidecar without transparent capture (a laptop, a VM, the demo on
 * loopback): peers connect to {@code listen} and their requests are authorized and forwarded as requests to {@code
 * appPort}. Written {@code APP_PORT=HOST:PORT} on the command line.
 *
 * @param appPort the app port the listener stands for (the policy's destination port)
 * @param listen where the listener binds
 */
public record ExplicitInbound(int appPort, InetSocketAddress listen) {
    public ExplicitInbound {
        if (appPort < 1 || appPort > 65535) {
            throw new IllegalArgumentException("app port " + appPort + " (expected: 1-65535)");
        }
        requireNonNull(listen, "listen");
    }

    /** Parses {@code APP_PORT=HOST:PORT} ({@code [v6]:PORT} for IPv6), naming the part that is wrong. */
    public static ExplicitInbound parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException(
                    "'" + spec + "': expected APP_PORT=HOST:PORT, e.g. 8080=127.0.0.12:8080");
        }
        int appPort = port(spec.substring(0, eq), spec, "app port");
        String address = spec.substring(eq + 1);
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("'" + spec + "': listen address '" + address + "' has no :PORT");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + spec + "': listen address has no host");
        }
        int port = port(address.substring(colon + 1), spec, "listen port");
        return new ExplicitInbound(appPort, new InetSocketAddress(host, port));
    }

    private static int port(String text, String spec, String what) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("'" + spec + "': " + what + " '" + text + "' (expected: 1-65535)");
    }

    @Override
    public String toString() {
        return appPort + "=" + listen.getHostString() + ":" + listen.getPort();
    }
}
