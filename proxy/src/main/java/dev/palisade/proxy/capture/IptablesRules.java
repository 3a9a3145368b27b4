package dev.palisade.proxy.capture;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * The NAT rules of transparent capture, generated from a {@link CaptureConfig} and nothing else (no I/O): the same
 * shape as Istio's {@code istio-iptables}, with our own chains so that they can be refreshed and removed without
 * touching anyone else's rules.
 *
 * <pre>
 * PREROUTING  -p tcp → PALISADE_INBOUND
 *   PALISADE_INBOUND     --dport admin, health, excluded → RETURN; else → PALISADE_IN_REDIRECT
 *   PALISADE_IN_REDIRECT REDIRECT --to-ports inbound (15006)
 * OUTPUT      -p tcp → PALISADE_OUTPUT
 *   PALISADE_OUTPUT      --dport excluded                      → RETURN
 *                        -o lo, not to loopback, proxy's uid   → PALISADE_IN_REDIRECT  (hairpin to the own pod IP)
 *                        -o lo, not the proxy's uid            → RETURN                (app on loopback, app to itself)
 *                        proxy's uid                           → RETURN                (the sidecar's own upstreams)
 *                        -d loopback                           → RETURN
 *                        else                                  → PALISADE_REDIRECT
 *   PALISADE_REDIRECT    REDIRECT --to-ports outbound (15001)
 * </pre>
 *
 * <p>The proxy/README.md "Transparent capture" section explains each exclusion. IPv6 gets the same rules with
 * {@code ::1/128} for loopback.
 */
public final class IptablesRules {

    public static final String TABLE = "nat";
    public static final String INBOUND_CHAIN = "PALISADE_INBOUND";
    public static final String IN_REDIRECT_CHAIN = "PALISADE_IN_REDIRECT";
    public static final String OUTPUT_CHAIN = "PALISADE_OUTPUT";
    public static final String REDIRECT_CHAIN = "PALISADE_REDIRECT";

    /** Our chains, in the order they are created; deleted only after every rule that jumps to them is gone. */
    public static final List<String> CHAINS = List.of(INBOUND_CHAIN, IN_REDIRECT_CHAIN, OUTPUT_CHAIN, REDIRECT_CHAIN);

    /** The only rules outside our chains: the jumps from the built-in chains into them. */
    public static final List<IptablesRule> JUMP_RULES = List.of(
            IptablesRule.of("PREROUTING", "-p", "tcp", "-j", INBOUND_CHAIN),
            IptablesRule.of("OUTPUT", "-p", "tcp", "-j", OUTPUT_CHAIN));

    private final CaptureConfig config;

    private IptablesRules(CaptureConfig config) {
        this.config = requireNonNull(config, "config");
    }

    public static IptablesRules of(CaptureConfig config) {
        return new IptablesRules(config);
    }

    public CaptureConfig config() {
        return config;
    }

    /** The rules inside our chains for one family, chain by chain in {@link #CHAINS} order. */
    public List<IptablesRule> chainRules(IpFamily family) {
        requireNonNull(family, "family");
        String uid = Long.toString(config.proxyUid());
        List<IptablesRule> rules = new ArrayList<>();

        for (int port : config.inboundExclusions()) {
            rules.add(IptablesRule.of(INBOUND_CHAIN, "-p", "tcp", "--dport", Integer.toString(port), "-j", "RETURN"));
        }
        rules.add(IptablesRule.of(INBOUND_CHAIN, "-p", "tcp", "-j", IN_REDIRECT_CHAIN));

        rules.add(IptablesRule.of(
                IN_REDIRECT_CHAIN,
                "-p",
                "tcp",
                "-j",
                "REDIRECT",
                "--to-ports",
                Integer.toString(config.inboundPort())));

        for (int port : config.excludeOutboundPorts()) {
            rules.add(IptablesRule.of(OUTPUT_CHAIN, "-p", "tcp", "--dport", Integer.toString(port), "-j", "RETURN"));
        }
        // The sidecar connecting to its own pod IP (an app calling its own Service) leaves through lo: send it to
        // the inbound listener, so that the call is authorized like any other.
        rules.add(IptablesRule.of(
                OUTPUT_CHAIN,
                "-o",
                "lo",
                "!",
                "-d",
                family.loopback(),
                "-m",
                "owner",
                "--uid-owner",
                uid,
                "-j",
                IN_REDIRECT_CHAIN));
        // The app on lo: to 127.0.0.0/8, or to its own pod IP. Neither leaves the pod; as Istio, not captured.
        rules.add(IptablesRule.of(OUTPUT_CHAIN, "-o", "lo", "-m", "owner", "!", "--uid-owner", uid, "-j", "RETURN"));
        // The sidecar's own connections (mTLS to peers, the control plane): capturing them would loop.
        rules.add(IptablesRule.of(OUTPUT_CHAIN, "-m", "owner", "--uid-owner", uid, "-j", "RETURN"));
        rules.add(IptablesRule.of(OUTPUT_CHAIN, "-d", family.loopback(), "-j", "RETURN"));
        rules.add(IptablesRule.of(OUTPUT_CHAIN, "-j", REDIRECT_CHAIN));

        rules.add(IptablesRule.of(
                REDIRECT_CHAIN, "-p", "tcp", "-j", "REDIRECT", "--to-ports", Integer.toString(config.outboundPort())));
        return List.copyOf(rules);
    }

    /**
     * The whole configuration of one family as an {@code iptables-restore} file: the {@code nat} table, our chains
     * declared (a declared chain that exists is flushed), their rules, the jump rules, {@code COMMIT}. Loaded with
     * {@code iptables-restore --noflush} into a table without our rules, it gives what {@link IptablesInstaller}
     * installs; loaded twice, it would duplicate the jump rules, which the installer checks with {@code -C} first.
     */
    public List<String> restoreScript(IpFamily family) {
        List<String> lines = new ArrayList<>();
        lines.add("*" + TABLE);
        for (String chain : CHAINS) {
            lines.add(":" + chain + " - [0:0]");
        }
        for (IptablesRule rule : chainRules(family)) {
            lines.add(rule.toString());
        }
        for (IptablesRule rule : JUMP_RULES) {
            lines.add(rule.toString());
        }
        lines.add("COMMIT");
        return List.copyOf(lines);
    }
}
