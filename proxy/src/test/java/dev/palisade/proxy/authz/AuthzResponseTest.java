package dev.palisade.proxy.authz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthzResponseTest {

    static NormalizedRequest request(String contentType) {
        return new NormalizedRequest("POST", "/x", null, "svc", Map.of("content-type", List.of(contentType)));
    }

    @Test
    void deniedHttpIs403NamingTheRequestIdButNotThePolicy() {
        AuthzResponse r = AuthzResponse.denied("req-1", false);
        assertThat(r.status()).isEqualTo(403);
        String body = new String(r.body(), StandardCharsets.US_ASCII);
        assertThat(body).contains("req-1").doesNotContain("ns[").doesNotContain("policy");
        assertThat(r.headers()).containsEntry("content-length", Integer.toString(r.body().length));
        assertThat(r.trailersOnly()).isFalse();
    }

    @Test
    void deniedGrpcIsTrailersOnlyWithStatusSeven() {
        AuthzResponse r = AuthzResponse.denied("req-2", true);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.trailersOnly()).isTrue();
        assertThat(r.body()).isEmpty();
        assertThat(r.headers())
                .containsEntry("grpc-status", "7")
                .containsEntry("content-type", "application/grpc")
                .containsEntry("grpc-message", "RBAC: access denied (request id req-2)");
    }

    @Test
    void malformedIs400AndCloses() {
        AuthzResponse r = AuthzResponse.malformed(new Rejection(RejectReason.ENCODED_SLASH, "%2f"), "req-3");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.closeConnection()).isTrue();
        assertThat(new String(r.body(), StandardCharsets.US_ASCII))
                .contains("ENCODED_SLASH")
                .contains("req-3");
    }

    @Test
    void grpcIsRecognisedByContentType() {
        assertThat(AuthzResponse.isGrpc(request("application/grpc"))).isTrue();
        assertThat(AuthzResponse.isGrpc(request("application/grpc+proto"))).isTrue();
        assertThat(AuthzResponse.isGrpc(request("application/grpcx"))).isFalse();
        assertThat(AuthzResponse.isGrpc(request("application/json"))).isFalse();
        assertThat(AuthzResponse.percentEncode("100% é")).isEqualTo("100%25 %C3%A9");
    }
}
