package dev.palisade.proxy.inbound;

/**
 * The names of the inbound listener's handlers, and the order they stand in. A connection starts with one handler and
 * each stage replaces itself with the next once it has decided:
 *
 * <pre>
 * accepted            DETECT
 * TLS (0x16 0x03)     TLS (ClientHello, then SslHandler) → TLS_STATE → ...
 * plaintext           ... (only on a PERMISSIVE port)
 *
 * HTTP/1.1            ... → H1_BYTES → H1_CODEC → H1_TIMEOUTS → EXCHANGE
 * HTTP/2              ... → (Http2ServerInitializer; one EXCHANGE per stream channel)
 * opaque TCP          ... → TCP_SPLICE
 *
 * app stream          (AppStreams' handlers) → APP_RESPONSE
 *
 * WebSocket (101)     ... → UPGRADED, on the peer's connection and the app's (every HTTP handler removed)
 * </pre>
 *
 * {@code DETECT} peeks at most a TLS record header or the 24 bytes of the HTTP/2 preface; {@code TLS} bounds the
 * ClientHello and is replaced by the {@code SslHandler}; {@code TLS_STATE} turns the handshake into the connection's
 * facts and picks the protocol. The application-protocol handlers are added after the last of these.
 */
public final class PipelineNames {
    /** {@code ProtocolDetectionHandler}: TLS or plaintext, HTTP/2 preface or HTTP/1.1. */
    public static final String DETECT = "palisade-detect";
    /** The ClientHello handler, then the {@code SslHandler} that replaces it. */
    public static final String TLS = "palisade-tls";
    /** {@code TlsEstablishedHandler}: the handshake's outcome, the peer's SPIFFE ID, ALPN. */
    public static final String TLS_STATE = "palisade-tls-state";
    /** HTTP/1.1: watches raw bytes for the header-read and idle timeouts. */
    public static final String H1_BYTES = "palisade-h1-bytes";
    /** HTTP/1.1: the server codec, with the request line and header limits. */
    public static final String H1_CODEC = "palisade-h1-codec";
    /** HTTP/1.1: the header-read (slowloris) and idle timeouts. */
    public static final String H1_TIMEOUTS = "palisade-h1-timeouts";
    /** {@link HttpExchangeHandler}: normalise, authorize, forward. */
    public static final String EXCHANGE = "palisade-exchange";
    /** {@code TcpSpliceHandler}: an opaque port, after its L4 check. */
    public static final String TCP_SPLICE = "palisade-tcp-splice";
    /** The exchange's response handler at the end of an app stream's pipeline. */
    public static final String APP_RESPONSE = "palisade-app-response";

    /** {@code ByteSplice}: raw bytes both ways after a WebSocket upgrade, on the peer's and the app's connection. */
    public static final String UPGRADED = "palisade-upgraded";

    private PipelineNames() {}
}
