package dev.palisade.proxy.inbound;

import java.time.Duration;

/**
 * The inbound listener's limits against bad and abusive peers (issue 5, "Robustness"). An mTLS peer inside the mesh
 * is untrusted input: each limit has a default that a well-behaved client never reaches, and each is configurable.
 *
 * @param maxRequestLineBytes HTTP/1.1 request line (414 beyond)
 * @param maxHeaderBytes all request header fields together, HTTP/1.1 and HTTP/2 (431 beyond)
 * @param maxHeaderCount number of request header fields (431 beyond)
 * @param maxConcurrentStreams HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS
 * @param maxResetStreamsPerWindow HTTP/2 streams a peer may reset in {@code resetWindow} before the connection is
 *     closed with GOAWAY ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487)
 * @param resetWindow the window of {@code maxResetStreamsPerWindow}
 * @param tlsHandshakeTimeout from accept to a finished handshake
 * @param headerReadTimeout from connection (or the end of the previous request) to the end of a request's headers:
 *     slowloris
 * @param idleTimeout a connection with no request in flight and no bytes for this long is closed
 * @param maxClientHelloBytes the largest ClientHello the protocol detection will buffer
 * @param connectTimeout connecting to the app
 */
public record InboundLimits(
        int maxRequestLineBytes,
        int maxHeaderBytes,
        int maxHeaderCount,
        int maxConcurrentStreams,
        int maxResetStreamsPerWindow,
        Duration resetWindow,
        Duration tlsHandshakeTimeout,
        Duration headerReadTimeout,
        Duration idleTimeout,
        int maxClientHelloBytes,
        Duration connectTimeout) {

    public InboundLimits {
        positive(maxRequestLineBytes, "maxRequestLineBytes");
        positive(maxHeaderBytes, "maxHeaderBytes");
        positive(maxHeaderCount, "maxHeaderCount");
        positive(maxConcurrentStreams, "maxConcurrentStreams");
        positive(maxResetStreamsPerWindow, "maxResetStreamsPerWindow");
        positive(maxClientHelloBytes, "maxClientHelloBytes");
        for (Duration d :
                new Duration[] {resetWindow, tlsHandshakeTimeout, headerReadTimeout, idleTimeout, connectTimeout}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("durations must be positive: " + d);
            }
        }
    }

    /** Defaults: 8 KiB request line, 64 KiB and 100 header fields, 100 streams, 200 resets per 10 s, 10 s handshake
     * and header read, 5 min idle, 16 KiB ClientHello, 5 s connect. */
    public static InboundLimits defaults() {
        return new InboundLimits(
                8192,
                65536,
                100,
                100,
                200,
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                Duration.ofMinutes(5),
                16384,
                Duration.ofSeconds(5));
    }

    private static void positive(int value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }
}
