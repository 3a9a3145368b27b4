package dev.palisade.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import org.junit.jupiter.api.Test;

class RequestHeadCheckTest {

    static final InboundLimits LIMITS = InboundLimits.defaults();

    private static HttpRequest request(String... headers) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/x");
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }

    @Test
    void decoderFailuresMapToTheirStatus() {
        HttpRequest line = request();
        line.setDecoderResult(DecoderResult.failure(new TooLongHttpLineException("line")));
        HttpRequest headers = request();
        headers.setDecoderResult(DecoderResult.failure(new TooLongHttpHeaderException("headers")));
        HttpRequest other = request();
        other.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("bad")));
        assertThat(RequestHeadCheck.refusal(line, false, LIMITS)).isEqualTo(414);
        assertThat(RequestHeadCheck.refusal(headers, false, LIMITS)).isEqualTo(431);
        assertThat(RequestHeadCheck.refusal(other, false, LIMITS)).isEqualTo(400);
    }

    @Test
    void framingAndLimits() {
        assertThat(RequestHeadCheck.refusal(request("Host", "a"), false, LIMITS))
                .isZero();
        assertThat(RequestHeadCheck.refusal(request("Transfer-Encoding", "chunked"), false, LIMITS))
                .isZero();
        assertThat(RequestHeadCheck.refusal(request("Transfer-Encoding", "Chunked "), false, LIMITS))
                .isZero();
        assertThat(RequestHeadCheck.refusal(
                        request("Transfer-Encoding", "chunked", "Content-Length", "3"), false, LIMITS))
                .isEqualTo(400);
        assertThat(RequestHeadCheck.refusal(request("Transfer-Encoding", "gzip, chunked"), false, LIMITS))
                .isEqualTo(501);
        assertThat(RequestHeadCheck.refusal(
                        request("Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked"), false, LIMITS))
                .isEqualTo(501);
        String[] many = new String[2 * 101];
        for (int i = 0; i < many.length; i += 2) {
            many[i] = "x-h" + i;
            many[i + 1] = "v";
        }
        assertThat(RequestHeadCheck.refusal(request(many), false, LIMITS)).isEqualTo(431);
        HttpRequest h2 = new DefaultHttpRequest(HttpVersion.valueOf("HTTP/2.0"), HttpMethod.GET, "/");
        assertThat(RequestHeadCheck.refusal(h2, false, LIMITS)).isEqualTo(505);
        assertThat(RequestHeadCheck.refusal(h2, true, LIMITS))
                .as("HTTP/2 streams carry no version")
                .isZero();
    }

    @Test
    void requestIdsAreKeptOnlyWhenSane() {
        assertThat(RequestIds.isAcceptable("req-42_a.b:c")).isTrue();
        assertThat(RequestIds.isAcceptable("")).isFalse();
        assertThat(RequestIds.isAcceptable("has space")).isFalse();
        assertThat(RequestIds.isAcceptable("caf\u00e9")).isFalse();
        assertThat(RequestIds.isAcceptable("a".repeat(129))).isFalse();
    }
}
