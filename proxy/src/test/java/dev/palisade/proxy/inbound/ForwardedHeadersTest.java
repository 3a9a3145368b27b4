package dev.palisade.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ForwardedHeadersTest {

    /** Headers as an HTTP/2 peer could send them: Netty's HTTP/1.1 decoder would have trimmed the values. */
    private static HttpHeaders unvalidated() {
        return DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders();
    }

    @Test
    void requestKeepsEndToEndFieldsInOrderAndDropsTheRest() {
        HttpHeaders in = unvalidated()
                .add("Host", "payments.shop")
                .add("Accept", " text/plain\t")
                .add("Connection", "keep-alive, X-Secret, content-length, Host")
                .add("X-Secret", "1")
                .add("Keep-Alive", "timeout=5")
                .add("Content-Length", "3")
                .add("Transfer-Encoding", "chunked")
                .add("Upgrade", "h2c")
                .add("HTTP2-Settings", "AAA")
                .add("TE", "trailers")
                .add("Proxy-Authorization", "Basic x")
                .add("X-Palisade-Peer-Identity", "spiffe://evil/a")
                .add("x-PALISADE-peer-IDENTITY", "spiffe://evil/b")
                .add("X-Request-Id", "abc")
                .add("Expect", "100-continue")
                .add("x-http2-scheme", "https")
                .add("Cookie", "a=1")
                .add("Cookie", "b=2");

        assertThat(ForwardedHeaders.request(in, false))
                .containsExactly(
                        Map.entry("Accept", "text/plain"),
                        Map.entry("Content-Length", "3"),
                        Map.entry("x-http2-scheme", "https"),
                        Map.entry("Cookie", "a=1"),
                        Map.entry("Cookie", "b=2"));
        assertThat(ForwardedHeaders.request(in, true))
                .extracting(Map.Entry::getKey)
                .doesNotContain("x-http2-scheme");
    }

    @Test
    void requestTrailersLoseTheIdentityAndFramingFields() {
        HttpHeaders trailers = new DefaultHttpHeaders()
                .add("X-Palisade-Peer-Identity", "spiffe://evil/a")
                .add("Host", "admin.shop")
                .add("X-Checksum", "abc")
                .add("Connection", "x-drop")
                .add("X-Drop", "1");
        ForwardedHeaders.sanitizeRequestTrailers(trailers);
        assertThat(trailers.names()).containsExactly("X-Checksum");
    }

    @Test
    void responseLosesHopByHopAndNettyExtensionFields() {
        HttpHeaders from = new DefaultHttpHeaders()
                .add("Content-Type", "text/plain")
                .add("Connection", "close, X-Hop")
                .add("X-Hop", "1")
                .add("Transfer-Encoding", "chunked")
                .add("x-http2-stream-id", "3")
                .add("Set-Cookie", "a=1")
                .add("Set-Cookie", "b=2");
        HttpHeaders to = new DefaultHttpHeaders();
        ForwardedHeaders.copyResponse(from, to);
        assertThat(to.entries().stream().map(e -> Map.entry(e.getKey(), e.getValue())))
                .containsExactly(
                        Map.entry("Content-Type", "text/plain"),
                        Map.entry("Set-Cookie", "a=1"),
                        Map.entry("Set-Cookie", "b=2"));
    }

    @Test
    void connectionTokensAreCaseInsensitiveAndTrimmed() {
        HttpHeaders in = unvalidated().add("Connection", " Close ,X-A,,").add("Connection", "x-b");
        assertThat(ForwardedHeaders.connectionTokens(in)).containsExactlyInAnyOrder("close", "x-a", "x-b");
        assertThat(ForwardedHeaders.trim(" \t a b \t")).isEqualTo("a b");
        assertThat(List.of(ForwardedHeaders.PEER_IDENTITY)).containsExactly("x-palisade-peer-identity");
    }
}
