package dev.palisade.proxy.inbound.h2;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http2.HttpConversionUtil.ExtensionHeaderNames;

/**
 * Removes the {@code x-http2-*} fields Netty's frame-to-{@code HttpObject} conversion adds to a decoded message
 * ({@code x-http2-scheme}, {@code x-http2-path} with the raw {@code :path}, {@code x-http2-stream-id}), and any field
 * of those names the peer sent itself, so that a message from HTTP/2 looks like one from HTTP/1.1: the exchange
 * handler authorizes and forwards the request line, never a second copy of the path, and an HTTP/1.1 app or peer never
 * receives them. Stateless.
 */
@ChannelHandler.Sharable
final class ExtensionHeadersHandler extends ChannelInboundHandlerAdapter {
    static final ExtensionHeadersHandler INSTANCE = new ExtensionHeadersHandler();

    private ExtensionHeadersHandler() {}

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpMessage message) {
            for (ExtensionHeaderNames name : ExtensionHeaderNames.values()) {
                message.headers().remove(name.text());
            }
        }
        ctx.fireChannelRead(msg);
    }
}
