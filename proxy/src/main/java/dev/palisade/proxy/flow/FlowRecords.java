package dev.palisade.proxy.flow;

import static java.util.Objects.requireNonNull;

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
import dev.palisade.proxy.authz.Rejection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Turns the data path's {@link FlowEvent} into the flow log's {@link FlowRecord} (flowlog/README.md "Format").
 *
 * <p>What is left out on purpose: the query string and fragment of the path (queries carry secrets: tokens, e-mail
 * addresses), the detail of a {@link Rejection} (it echoes the offending value, which may be a header value or a
 * query), and every header value. The record keeps the path, the rule that rejected, and the request id.
 *
 * <p>Stateless; called on the flow-log caller's thread (an event loop), so it allocates only the record.
 */
public final class FlowRecords {

    private FlowRecords() {}

    /**
     * The record for {@code event}, written by the sidecar {@code self}.
     *
     * @param self this workload's SPIFFE ID: the destination of an inbound event that does not name one
     */
    public static FlowRecord from(FlowEvent event, SpiffeId self) {
        requireNonNull(event, "event");
        requireNonNull(self, "self");
        FlowRecord.Builder record = FlowRecord.newBuilder()
                .setStartUnixNanos(unixNanos(event.start()))
                .setDurationNanos(Math.max(0, saturatedNanos(event)))
                .setDirection(event.direction() == FlowEvent.Direction.INBOUND ? Direction.INBOUND : Direction.OUTBOUND)
                .setProtocol(protocol(event.protocol()))
                .setStatus(Math.max(0, event.status()))
                .setBytesIn(Math.max(0, event.bytesIn()))
                .setBytesOut(Math.max(0, event.bytesOut()));

        SpiffeId source = event.source();
        if (source != null) {
            record.setSourceId(source.toString());
        }
        SpiffeId destination = event.destination();
        if (destination == null && event.direction() == FlowEvent.Direction.INBOUND) {
            destination = self; // inbound, this sidecar is the server
        }
        if (destination != null) {
            record.setDestinationId(destination.toString());
        }
        InetSocketAddress from = event.sourceAddress();
        if (from != null) {
            record.setSourceAddress(address(from)).setSourcePort(from.getPort());
        }
        InetSocketAddress to = event.destinationAddress();
        if (to != null) {
            record.setDestinationAddress(address(to)).setDestinationPort(to.getPort());
        }

        if (event.method() != null) {
            record.setMethod(event.method());
        }
        if (event.authority() != null) {
            record.setAuthority(event.authority());
        }
        String path = event.path();
        if (path != null) {
            record.setPath(withoutQuery(path));
        }
        Integer grpcStatus = event.grpcStatus();
        if (grpcStatus != null && grpcStatus >= 0) {
            record.setGrpcStatus(grpcStatus);
        }

        AuthzDecision decision = event.decision();
        if (decision != null) {
            decision(record, decision);
        }
        Rejection rejection = event.rejection();
        if (rejection != null) {
            record.setRejectionReason(rejection.reason().name()); // never rejection.detail(): it echoes the value
        }

        if (event.tlsVersion() != null) {
            record.setTlsVersion(event.tlsVersion());
        }
        if (event.cipher() != null) {
            record.setTlsCipher(event.cipher());
        }
        if (event.requestId() != null) {
            record.setRequestId(event.requestId());
        }
        return record.build();
    }

    /** {@code path} up to (not including) the first {@code ?} or {@code #}. */
    static String withoutQuery(String path) {
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '?' || c == '#') {
                return path.substring(0, i);
            }
        }
        return path;
    }

    /**
     * The data path's protocol names ({@code HTTP/1.1}, {@code HTTP/2}, {@code gRPC}, {@code TCP}) and their obvious
     * variants; anything else is {@link Protocol#PROTOCOL_UNSPECIFIED} rather than a guess.
     */
    static Protocol protocol(String name) {
        String p = name.trim().toUpperCase(Locale.ROOT);
        if (p.equals("TCP")) {
            return Protocol.TCP;
        }
        if (p.equals("GRPC")) {
            return Protocol.GRPC;
        }
        if (p.equals("HTTP/2") || p.equals("HTTP/2.0") || p.equals("H2") || p.equals("H2C")) {
            return Protocol.HTTP2;
        }
        if (p.startsWith("HTTP/1") || p.equals("HTTP")) {
            return Protocol.HTTP1;
        }
        return Protocol.PROTOCOL_UNSPECIFIED;
    }

    private static void decision(FlowRecord.Builder record, AuthzDecision decision) {
        record.setDecision(decision.allowed() ? Decision.ALLOW : Decision.DENY)
                .setDecisionReason(
                        switch (decision.reason()) {
                            case DENY_POLICY -> DecisionReason.DENY_POLICY;
                            case ALLOW_POLICY -> DecisionReason.ALLOW_POLICY;
                            case NO_MATCHING_ALLOW_POLICY -> DecisionReason.NO_MATCHING_ALLOW_POLICY;
                            case MESH_DEFAULT -> DecisionReason.MESH_DEFAULT;
                        })
                .setPolicy(policyName(decision.policy()))
                .setRule(decision.policy().rule())
                .setPolicyVersion(decision.version());
        // One name per policy: two matching rules of one AUDIT policy are one audit.
        Set<String> audits = new LinkedHashSet<>();
        for (PolicyRef audit : decision.audits()) {
            audits.add(policyName(audit));
        }
        record.addAllAuditPolicies(audits);
        DryRunResult dryRun = decision.dryRun();
        record.setDryRun(
                switch (dryRun.verdict()) {
                    case NOT_CONFIGURED -> DryRunVerdict.DRY_RUN_NOT_CONFIGURED;
                    case WOULD_ALLOW -> DryRunVerdict.DRY_RUN_WOULD_ALLOW;
                    case WOULD_DENY -> DryRunVerdict.DRY_RUN_WOULD_DENY;
                });
        PolicyRef dryRunPolicy = dryRun.policy();
        if (dryRunPolicy != null) {
            record.setDryRunPolicy(policyName(dryRunPolicy));
        }
    }

    /** {@code namespace/name} for an operator's policy, the sentinel's name otherwise (proto field 20). */
    static String policyName(PolicyRef policy) {
        return policy.isNamed() ? policy.namespace() + "/" + policy.policy() : policy.name();
    }

    /** An IP literal when the address is resolved (records never carry host names), else the host as given. */
    private static String address(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        return ip != null ? ip.getHostAddress() : address.getHostString();
    }

    private static long saturatedNanos(FlowEvent event) {
        try {
            return event.duration().toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static long unixNanos(Instant instant) {
        try {
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
        } catch (ArithmeticException e) {
            return instant.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }
}
