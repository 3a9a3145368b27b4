package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.config.PeerMode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The first handler of every inbound connection: peeks at the first bytes, without consuming them, and replaces
 * itself with what they call for (Netty's {@code OptionalSslHandler}, Armeria's {@code ProtocolDetectionHandler}).
 *
 * <ul>
 *   <li>{@code 0x16 0x03} is a TLS handshake record: the record header's length must fit a ClientHello of at most
 *       {@link InboundLimits#maxClientHelloBytes()}, then {@link ClientHelloHandler} and {@link TlsEstablishedHandler}
 *       take over.
 *   <li>Anything else is plaintext, accepted only when the port is {@link PeerMode#PERMISSIVE} (an unauthenticated
 *       peer); on a STRICT port the connection is closed before any byte is parsed. Plaintext that starts with the
 *       HTTP/2 client preface ({@code PRI * HTTP/2.0}) goes to HTTP/2, everything else to HTTP/1.1, and an opaque
 *       port is spliced as it is.
 * </ul>
 *
 * At most 24 bytes (the HTTP/2 preface) or 5 (a TLS record header) are held here; what was read is handed on to the
 * next handler when this one is removed. The deadline of {@link AcceptedConnection} closes a peer that sends too
 * little to decide.
 */
final class ProtocolDetectionHandler extends ByteToMessageDecoder {

    private static final byte[] HTTP2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int TLS_HANDSHAKE = 0x16;
    private static final int TLS_MAJOR_VERSION = 0x03;
    private static final int TLS_RECORD_HEADER_LENGTH = 5;
    /** The handshake message header (type, 24-bit length) in front of the ClientHello's body. */
    private static final int HANDSHAKE_HEADER_LENGTH = 4;

    private final AcceptedConnection accepted;

    ProtocolDetectionHandler(AcceptedConnection accepted) {
        this.accepted = requireNonNull(accepted, "accepted");
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (accepted.isRefused() || !in.isReadable()) {
            return;
        }
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (in.getUnsignedByte(start) == TLS_HANDSHAKE) {
            if (readable < 2) {
                return;
            }
            if (in.getUnsignedByte(start + 1) == TLS_MAJOR_VERSION) {
                if (readable < TLS_RECORD_HEADER_LENGTH) {
                    return;
                }
                int recordLength = in.getUnsignedShort(start + 3);
                if (recordLength > accepted.services().limits().maxClientHelloBytes() + HANDSHAKE_HEADER_LENGTH) {
                    // A first record longer than the largest ClientHello we accept: refuse before buffering it.
                    in.skipBytes(readable);
                    accepted.refuse(RefusalReasons.PROTOCOL);
                    return;
                }
                startTls(ctx);
                return;
            }
        }
        plaintext(ctx, in);
    }

    private void startTls(ChannelHandlerContext ctx) {
        InboundServices services = accepted.services();
        ctx.pipeline()
                .addAfter(
                        ctx.name(),
                        PipelineNames.TLS,
                        new ClientHelloHandler(
                                services.serverSsl(), services.limits().maxClientHelloBytes()))
                .addAfter(PipelineNames.TLS, PipelineNames.TLS_STATE, new TlsEstablishedHandler(accepted));
        ctx.pipeline().remove(this);
    }

    private void plaintext(ChannelHandlerContext ctx, ByteBuf in) {
        InboundPort port = accepted.currentPort();
        if (port == null) {
            in.skipBytes(in.readableBytes());
            accepted.refuse(RefusalReasons.UNKNOWN_PORT);
            return;
        }
        if (port.mode() != PeerMode.PERMISSIVE) {
            in.skipBytes(in.readableBytes());
            accepted.refuse(RefusalReasons.PLAINTEXT_REFUSED);
            return;
        }
        ApplicationProtocol protocol;
        if (port.protocol().isOpaque()) {
            protocol = ApplicationProtocol.TCP;
        } else {
            int compared = Math.min(in.readableBytes(), HTTP2_PREFACE.length);
            boolean prefaceSoFar = true;
            for (int i = 0; i < compared && prefaceSoFar; i++) {
                prefaceSoFar = in.getByte(in.readerIndex() + i) == HTTP2_PREFACE[i];
            }
            if (prefaceSoFar && compared < HTTP2_PREFACE.length) {
                return; // could still be the preface: wait for more
            }
            protocol = prefaceSoFar ? ApplicationProtocol.HTTP2 : ApplicationProtocol.HTTP1;
        }
        InboundConnection connection = accepted.establish(null, null, null, null);
        ApplicationProtocol.configure(protocol, ctx.pipeline(), accepted, connection);
        // Removing this handler hands what it read to the handlers just added after it.
        ctx.pipeline().remove(this);
    }
}
