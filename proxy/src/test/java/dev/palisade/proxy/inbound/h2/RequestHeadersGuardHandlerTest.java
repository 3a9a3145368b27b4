package dev.palisade.proxy.inbound.h2;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import org.junit.jupiter.api.Test;

/** The stream guard on frames alone (Http2InboundIT drives it through a real HTTP/2 connection). */
class RequestHeadersGuardHandlerTest {

    static Http2Headers head() {
        return new DefaultHttp2Headers(false)
                .method("POST")
                .scheme("https")
                .path("/orders")
                .authority("payments.shop");
    }

    @Test
    void trailersWithAPseudoHeaderResetAndCloseTheStream() {
        EmbeddedChannel stream = new EmbeddedChannel(new RequestHeadersGuardHandler(20));
        assertThat(stream.writeInbound(new DefaultHttp2HeadersFrame(head(), false)))
                .isTrue();
        assertThat(stream.<Http2HeadersFrame>readInbound().headers().path()).hasToString("/orders");

        stream.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers(false).path("/admin"), true));

        Http2ResetFrame reset = stream.readOutbound();
        assertThat(reset.errorCode()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
        assertThat(stream.isOpen()).isFalse();
        assertThat(stream.<Object>readInbound())
                .as("the trailers are not passed on")
                .isNull();
    }

    @Test
    void trailersWithoutPseudoHeadersPass() {
        EmbeddedChannel stream = new EmbeddedChannel(new RequestHeadersGuardHandler(20));
        stream.writeInbound(new DefaultHttp2HeadersFrame(head(), false));
        stream.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers(false).add("grpc-status", "0"), true));

        assertThat(stream.<Object>readInbound()).isNotNull();
        assertThat(stream.<Http2HeadersFrame>readInbound().headers().get("grpc-status"))
                .hasToString("0");
        assertThat(stream.<Object>readOutbound()).isNull();
        assertThat(stream.finish()).isFalse();
    }

    @Test
    void aHeadWithoutSchemeIsResetAndAHeadWithAPaddedValueToo() {
        for (Http2Headers bad : new Http2Headers[] {
            new DefaultHttp2Headers(false).method("GET").path("/orders").authority("payments.shop"),
            head().add("x-note", "a "),
            head().add("x-note", "\ta"),
            head().path("")
        }) {
            EmbeddedChannel stream = new EmbeddedChannel(new RequestHeadersGuardHandler(20));
            stream.writeInbound(new DefaultHttp2HeadersFrame(bad, true));

            assertThat(stream.<Object>readInbound()).as("%s", bad).isNull();
            assertThat(stream.<Http2ResetFrame>readOutbound().errorCode())
                    .as("%s", bad)
                    .isEqualTo(Http2Error.PROTOCOL_ERROR.code());
        }
    }
}
