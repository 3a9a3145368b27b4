package dev.palisade.proxy.flow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.DecisionReason;
import dev.palisade.flowlog.v1.Direction;
import dev.palisade.flowlog.v1.DryRunVerdict;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import dev.palisade.proxy.authz.AuthzDecision;
import dev.palisade.proxy.authz.DryRunResult;
import dev.palisade.proxy.authz.PolicyRef;
import dev.palisade.proxy.authz.RejectReason;
import dev.palisade.proxy.authz.Rejection;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FlowRecordsTest {
    static final SpiffeId SELF = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/web");
    static final SpiffeId FRONTEND = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/frontend");
    static final Instant START = Instant.parse("2025-06-15T10:00:00.123456789Z");
    static final PolicyRef WEB_ACCESS = PolicyRef.parse("ns[shop]-policy[web-access]-rule[2]");
    static final PolicyRef AUDIT_ALL = PolicyRef.parse("ns[shop]-policy[audit-all]-rule[0]");
    static final PolicyRef DRY_DENY = PolicyRef.parse("ns[shop]-policy[lockdown]-rule[1]");

    static FlowEvent http(String path, int status, Integer grpcStatus, AuthzDecision decision, Rejection rejection) {
        return new FlowEvent(
                START,
                Duration.ofMillis(25),
                FlowEvent.Direction.INBOUND,
                FRONTEND,
                null,
                new InetSocketAddress("10.0.0.7", 40123),
                new InetSocketAddress("10.0.0.9", 8080),
                grpcStatus != null ? "gRPC" : "HTTP/1.1",
                "POST",
                "web.shop.svc:8080",
                path,
                status,
                grpcStatus,
                12,
                3456,
                decision,
                rejection,
                "TLSv1.3",
                "TLS_AES_128_GCM_SHA256",
                "req-1");
    }

    static AuthzDecision allowed() {
        return new AuthzDecision(
                true,
                AuthzDecision.Reason.ALLOW_POLICY,
                WEB_ACCESS,
                List.of(AUDIT_ALL, PolicyRef.parse("ns[shop]-policy[audit-all]-rule[3]")),
                new DryRunResult(DryRunResult.Verdict.WOULD_DENY, DRY_DENY),
                "v7");
    }

    @Test
    void theQueryStringNeverReachesTheRecord() {
        FlowRecord r = FlowRecords.from(http("/login?token=s3cret&user=a@b.c", 200, null, allowed(), null), SELF);

        assertThat(r.getPath()).isEqualTo("/login");
        assertThat(r.toString()).doesNotContain("s3cret").doesNotContain("a@b.c");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "/a/b?x=1|/a/b",
                "/?|/",
                "/a#frag|/a",
                "/plain|/plain",
                "?only|''",
            })
    void pathsLoseEverythingFromTheFirstQuestionMarkOrHash(String path, String expected) {
        assertThat(FlowRecords.withoutQuery(path)).isEqualTo(expected);
    }

    @Test
    void aRejectedRequestHasNoDecisionAndOnlyTheRuleNotTheEchoedValue() {
        Rejection rejection = new Rejection(RejectReason.PATH_PARAMETER, "path /a;jsessionid=SECRET");
        FlowRecord r = FlowRecords.from(http("/a;jsessionid=SECRET?q=1", 400, null, null, rejection), SELF);

        assertThat(r.getDecision()).isEqualTo(Decision.DECISION_UNSPECIFIED);
        assertThat(r.getDecisionReason()).isEqualTo(DecisionReason.DECISION_REASON_UNSPECIFIED);
        assertThat(r.getRejectionReason()).isEqualTo("PATH_PARAMETER");
        assertThat(r.getStatus()).isEqualTo(400);
        assertThat(r.getPolicy()).isEmpty();
        assertThat(r.getAuditPoliciesList()).isEmpty();
        assertThat(r.toString()).doesNotContain("q=1");
    }

    @Test
    void aDenialByTheDefaultNamesTheSentinelAndRuleMinusOne() {
        AuthzDecision denied = new AuthzDecision(
                false,
                AuthzDecision.Reason.NO_MATCHING_ALLOW_POLICY,
                PolicyRef.NO_MATCHING_ALLOW,
                List.of(),
                DryRunResult.NOT_CONFIGURED,
                "v8");
        FlowRecord r = FlowRecords.from(http("/admin", 403, null, denied, null), SELF);

        assertThat(r.getDecision()).isEqualTo(Decision.DENY);
        assertThat(r.getDecisionReason()).isEqualTo(DecisionReason.NO_MATCHING_ALLOW_POLICY);
        assertThat(r.getPolicy()).isEqualTo("no-matching-allow-policy");
        assertThat(r.getRule()).isEqualTo(-1);
        assertThat(r.getDryRun()).isEqualTo(DryRunVerdict.DRY_RUN_NOT_CONFIGURED);
        assertThat(r.getDryRunPolicy()).isEmpty();
        assertThat(r.getPolicyVersion()).isEqualTo("v8");
    }

    @Test
    void anAllowedGrpcCallCarriesEveryField() {
        FlowRecord r = FlowRecords.from(http("/shop.Items/Get", 200, 5, allowed(), null), SELF);

        assertThat(r.getStartUnixNanos()).isEqualTo(START.getEpochSecond() * 1_000_000_000L + 123_456_789L);
        assertThat(r.getDurationNanos()).isEqualTo(25_000_000L);
        assertThat(r.getDirection()).isEqualTo(Direction.INBOUND);
        assertThat(r.getSourceId()).isEqualTo(FRONTEND.toString());
        assertThat(r.getDestinationId()).as("inbound: this sidecar").isEqualTo(SELF.toString());
        assertThat(r.getSourceAddress()).isEqualTo("10.0.0.7");
        assertThat(r.getSourcePort()).isEqualTo(40123);
        assertThat(r.getDestinationAddress()).isEqualTo("10.0.0.9");
        assertThat(r.getDestinationPort()).isEqualTo(8080);
        assertThat(r.getProtocol()).isEqualTo(Protocol.GRPC);
        assertThat(r.getMethod()).isEqualTo("POST");
        assertThat(r.getAuthority()).isEqualTo("web.shop.svc:8080");
        assertThat(r.getPath()).isEqualTo("/shop.Items/Get");
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat(r.hasGrpcStatus()).isTrue();
        assertThat(r.getGrpcStatus()).isEqualTo(5);
        assertThat(r.getBytesIn()).isEqualTo(12);
        assertThat(r.getBytesOut()).isEqualTo(3456);
        assertThat(r.getDecision()).isEqualTo(Decision.ALLOW);
        assertThat(r.getDecisionReason()).isEqualTo(DecisionReason.ALLOW_POLICY);
        assertThat(r.getPolicy()).isEqualTo("shop/web-access");
        assertThat(r.getRule()).isEqualTo(2);
        assertThat(r.getAuditPoliciesList()).as("one name per policy").containsExactly("shop/audit-all");
        assertThat(r.getDryRun()).isEqualTo(DryRunVerdict.DRY_RUN_WOULD_DENY);
        assertThat(r.getDryRunPolicy()).isEqualTo("shop/lockdown");
        assertThat(r.getPolicyVersion()).isEqualTo("v7");
        assertThat(r.getRejectionReason()).isEmpty();
        assertThat(r.getTlsVersion()).isEqualTo("TLSv1.3");
        assertThat(r.getTlsCipher()).isEqualTo("TLS_AES_128_GCM_SHA256");
        assertThat(r.getRequestId()).isEqualTo("req-1");
    }

    @Test
    void plainHttpHasNoGrpcStatus() {
        FlowRecord r = FlowRecords.from(http("/", 200, null, allowed(), null), SELF);

        assertThat(r.getProtocol()).isEqualTo(Protocol.HTTP1);
        assertThat(r.hasGrpcStatus()).isFalse();
    }

    @Test
    void anOutboundTcpConnectionHasNoHttpFieldsAndNoSource() {
        SpiffeId payments = SpiffeId.parse("spiffe://cluster.local/ns/pay/sa/payments");
        FlowEvent tcp = new FlowEvent(
                START,
                Duration.ofSeconds(3),
                FlowEvent.Direction.OUTBOUND,
                null,
                payments,
                new InetSocketAddress("127.0.0.1", 51000),
                new InetSocketAddress("10.1.2.3", 5432),
                "TCP",
                null,
                null,
                null,
                0,
                null,
                100,
                2000,
                null,
                null,
                "TLSv1.3",
                "TLS_AES_256_GCM_SHA384",
                null);
        FlowRecord r = FlowRecords.from(tcp, SELF);

        assertThat(r.getProtocol()).isEqualTo(Protocol.TCP);
        assertThat(r.getDirection()).isEqualTo(Direction.OUTBOUND);
        assertThat(r.getSourceId()).as("the app: the entry's sidecar says who").isEmpty();
        assertThat(r.getDestinationId()).isEqualTo(payments.toString());
        assertThat(r.getDestinationAddress()).isEqualTo("10.1.2.3");
        assertThat(r.getDestinationPort()).isEqualTo(5432);
        assertThat(r.getMethod()).isEmpty();
        assertThat(r.getPath()).isEmpty();
        assertThat(r.getStatus()).isZero();
        assertThat(r.getDecision()).isEqualTo(Decision.DECISION_UNSPECIFIED);
        assertThat(r.getBytesIn()).isEqualTo(100);
        assertThat(r.getBytesOut()).isEqualTo(2000);
        assertThat(r.getRequestId()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"HTTP/1.1,HTTP1", "HTTP/1.0,HTTP1", "HTTP/2,HTTP2", "gRPC,GRPC", "TCP,TCP", "SMTP,PROTOCOL_UNSPECIFIED"
    })
    void protocolNamesMapToTheEnum(String name, Protocol expected) {
        assertThat(FlowRecords.protocol(name)).isEqualTo(expected);
    }
}
