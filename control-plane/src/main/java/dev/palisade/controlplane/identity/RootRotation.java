package dev.palisade.controlplane.identity;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.KeyAlgorithm;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates the root CA without an outage, in three phases driven by the clock:
 *
 * <ol>
 *   <li>{@link Phase#STABLE}: one root signs and is the whole bundle. When it is due to expire within
 *       {@code rotateBefore} (or an operator calls {@link #start()}), a new root is made and the rotation
 *       enters
 *   <li>{@link Phase#PREPARED}: the bundle holds both roots, the old one still signs. Every certificate issued from
 *       now on carries the two-root bundle; after {@code maxTtl} every certificate issued before has expired, so every
 *       live workload trusts the new root. Then
 *   <li>{@link Phase#SWITCHED}: the new root signs; the bundle still holds both, because certificates signed by the
 *       old root live up to {@code maxTtl} longer. After that, the old root leaves the bundle and the rotation is back
 *       to {@link Phase#STABLE}.
 * </ol>
 *
 * <p>Switching only after a full {@code maxTtl} makes cross-signing unnecessary: no workload that holds a valid
 * certificate can lack the new root when the first certificate signed by it appears. A workload that has been cut off
 * from the control plane for longer than that holds an expired certificate anyway.
 *
 * <p>State lives in memory: a control plane restarted mid-rotation starts again from the root it loads, which is
 * still in every bundle, so a restart delays a rotation but never breaks trust. {@link #tick()} is called
 * periodically (and by tests with a fake clock); phase changes are logged and reported to listeners.
 */
public final class RootRotation {
    private static final Logger logger = LoggerFactory.getLogger(RootRotation.class);

    /** Where a rotation stands. */
    public enum Phase {
        STABLE,
        PREPARED,
        SWITCHED
    }

    /** A consistent view of the rotation: who signs, and what everyone must trust. */
    public record State(Phase phase, Instant since, CertificateAuthority issuer, TrustBundleSet bundles) {}

    private final Clock clock;
    private final KeyAlgorithm keyAlgorithm;
    private final Duration rootLifetime;
    private final Duration maxTtl;
    private final Duration rotateBefore;
    private final Duration warnBefore;
    private final List<Consumer<State>> listeners = new CopyOnWriteArrayList<>();

    // Guarded by this.
    private Phase phase = Phase.STABLE;
    private Instant since;
    private CertificateAuthority issuer;
    private @Nullable CertificateAuthority other; // PREPARED: the next root
    private @Nullable X509Certificate previousRoot; // SWITCHED: the root that signed before
    private @Nullable Instant lastWarning;
    private @Nullable RotationStore store;
    private String storedVersion = "";
    private volatile State state;

    /**
     * @param maxTtl the longest lifetime of a workload certificate (each phase lasts this long, plus a minute)
     * @param rotateBefore start a rotation when the signing root expires within this (at least 2 x maxTtl)
     * @param warnBefore warn daily when the signing root expires within this
     */
    public RootRotation(
            CertificateAuthority initial,
            Clock clock,
            KeyAlgorithm keyAlgorithm,
            Duration rootLifetime,
            Duration maxTtl,
            Duration rotateBefore,
            Duration warnBefore) {
        this.issuer = requireNonNull(initial, "initial");
        this.clock = requireNonNull(clock, "clock");
        this.keyAlgorithm = requireNonNull(keyAlgorithm, "keyAlgorithm");
        this.rootLifetime = requireNonNull(rootLifetime, "rootLifetime");
        this.maxTtl = requireNonNull(maxTtl, "maxTtl");
        this.rotateBefore = requireNonNull(rotateBefore, "rotateBefore");
        this.warnBefore = requireNonNull(warnBefore, "warnBefore");
        if (rotateBefore.compareTo(maxTtl.multipliedBy(2).plus(phaseSlack())) < 0) {
            throw new IllegalArgumentException("rotateBefore: " + rotateBefore
                    + " (expected: at least 2 x maxTtl + 2m, so both phases finish before the old root expires)");
        }
        if (rootLifetime.compareTo(rotateBefore.plus(maxTtl)) <= 0) {
            throw new IllegalArgumentException(
                    "rootLifetime: " + rootLifetime + " (expected: longer than rotateBefore + maxTtl)");
        }
        this.since = clock.instant();
        this.state = snapshot();
    }

    private static Duration phaseSlack() {
        return Duration.ofMinutes(1);
    }

    /** The current phase, signing CA and bundles; read on every signing request. */
    public State state() {
        return state;
    }

    /** Called on every phase change, with the new state, outside the lock. */
    public void addListener(Consumer<State> listener) {
        listeners.add(requireNonNull(listener, "listener"));
    }

    /**
     * Keeps the rotation in {@code store} from now on, adopting what it already holds (another replica's rotation,
     * or this one's from before a restart). Call before the first {@link #tick()}.
     */
    public void attachStore(RotationStore store) {
        State adopted;
        synchronized (this) {
            this.store = requireNonNull(store, "store");
            adopted = syncFromStore();
        }
        if (adopted != null) {
            notifyListeners(adopted);
        }
    }

    /** Starts a rotation now, if none is under way. */
    public void start() {
        @Nullable State changed;
        synchronized (this) {
            State adopted = syncFromStore();
            if (adopted != null || phase != Phase.STABLE) {
                changed = adopted;
            } else {
                changed = prepare();
            }
        }
        if (changed != null) {
            notifyListeners(changed);
        }
    }

    /** Advances the rotation as far as the clock allows. Idempotent; call it periodically. */
    public void tick() {
        List<State> changes = new ArrayList<>();
        synchronized (this) {
            Instant now = clock.instant();
            State adopted = syncFromStore();
            if (adopted != null) {
                changes.add(adopted);
            }
            warnIfExpiring(now);
            boolean moved = true;
            while (moved) {
                moved = false;
                Instant phaseEnd = since.plus(maxTtl).plus(phaseSlack());
                switch (phase) {
                    case STABLE -> {
                        if (!issuerRoot()
                                .getNotAfter()
                                .toInstant()
                                .minus(rotateBefore)
                                .isAfter(now)) {
                            State prepared = prepare();
                            if (prepared != null) {
                                changes.add(prepared);
                            }
                            moved = true;
                        }
                    }
                    case PREPARED -> {
                        if (!now.isBefore(phaseEnd)) {
                            CertificateAuthority next = requireNonNull(other, "next");
                            if (!commit(Phase.SWITCHED, now, next, null, issuerRoot())) {
                                changes.add(state);
                                moved = true;
                                continue;
                            }
                            logger.info(
                                    "CA rotation: SWITCHED: {} now signs; the old root stays trusted until {}",
                                    subject(issuerRoot()),
                                    now.plus(maxTtl).plus(phaseSlack()));
                            changes.add(state);
                            moved = true;
                        }
                    }
                    case SWITCHED -> {
                        if (!now.isBefore(phaseEnd)) {
                            X509Certificate retired = requireNonNull(previousRoot, "previousRoot");
                            if (!commit(Phase.STABLE, now, issuer, null, null)) {
                                changes.add(state);
                                moved = true;
                                continue;
                            }
                            logger.info(
                                    "CA rotation: done: {} left the bundle; {} is the only root",
                                    subject(retired),
                                    subject(issuerRoot()));
                            changes.add(state);
                            moved = true;
                        }
                    }
                }
            }
        }
        changes.forEach(this::notifyListeners);
    }

    /** Enters PREPARED with a new root; when another replica prepared first, adopts its root instead. */
    private @Nullable State prepare() {
        Instant now = clock.instant();
        CertificateAuthority next =
                CertificateAuthority.createRoot(issuer.trustDomain(), keyAlgorithm, rootLifetime, clock);
        if (!commit(Phase.PREPARED, now, issuer, next, null)) {
            return state;
        }
        logger.info(
                "CA rotation: PREPARED: new root {} added to the bundle; {} keeps signing until {}",
                subject(next.certificate()),
                subject(issuerRoot()),
                now.plus(maxTtl).plus(phaseSlack()));
        return state;
    }

    /**
     * Makes the new state current, writing it to the store first when there is one. Returns false when another
     * replica wrote first: its state has then been adopted instead.
     */
    private boolean commit(
            Phase nextPhase,
            Instant now,
            CertificateAuthority nextIssuer,
            @Nullable CertificateAuthority nextNext,
            @Nullable X509Certificate nextPrevious) {
        if (store != null) {
            var written = store.compareAndSet(
                    storedVersion, new RotationStore.Persisted(nextPhase, now, nextIssuer, nextNext, nextPrevious, ""));
            if (written.isEmpty()) {
                logger.info("CA rotation: another replica moved first; adopting its state");
                syncFromStore();
                return false;
            }
            storedVersion = written.get();
        }
        phase = nextPhase;
        since = now;
        issuer = nextIssuer;
        other = nextNext;
        previousRoot = nextPrevious;
        state = snapshot();
        return true;
    }

    /** Adopts the store's state if it differs from ours; returns the adopted state, or null. */
    private @Nullable State syncFromStore() {
        if (store == null) {
            return null;
        }
        RotationStore.Persisted p = store.load().orElse(null);
        if (p == null || p.version().equals(storedVersion)) {
            return null;
        }
        boolean changed = p.phase() != phase
                || !p.issuer().certificate().equals(issuer.certificate())
                || !Objects.equals(
                        p.next() == null ? null : p.next().certificate(), other == null ? null : other.certificate());
        storedVersion = p.version();
        phase = p.phase();
        since = p.since();
        issuer = p.issuer();
        other = p.next();
        previousRoot = p.previousRoot();
        state = snapshot();
        return changed ? state : null;
    }

    private State snapshot() {
        List<X509Certificate> roots = new ArrayList<>();
        if (phase == Phase.SWITCHED && previousRoot != null) {
            roots.add(previousRoot); // the old root first, by convention
        }
        roots.addAll(anchors(issuer));
        if (phase == Phase.PREPARED && other != null) {
            roots.addAll(other.trustBundle().roots());
        }
        TrustBundleSet bundles = TrustBundleSet.of(TrustBundle.of(issuer.trustDomain(), roots));
        return new State(phase, since, issuer, bundles);
    }

    /**
     * The roots of {@code ca}'s bundle that anchor its own chain. A CA loaded during a rotation carries the whole
     * bundle of that moment; only its own anchors belong to the state the rotation computes.
     */
    private static List<X509Certificate> anchors(CertificateAuthority ca) {
        List<X509Certificate> chain = ca.chain();
        X509Certificate top = chain.get(chain.size() - 1);
        List<X509Certificate> out = new ArrayList<>();
        for (X509Certificate root : ca.trustBundle().roots()) {
            if (root.equals(top) || signedBy(top, root)) {
                out.add(root);
            }
        }
        return out.isEmpty() ? ca.trustBundle().roots() : out;
    }

    private static boolean signedBy(X509Certificate cert, X509Certificate root) {
        if (!root.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
            return false;
        }
        try {
            cert.verify(root.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private X509Certificate issuerRoot() {
        List<X509Certificate> chain = issuer.chain();
        return chain.get(chain.size() - 1);
    }

    private void warnIfExpiring(Instant now) {
        Instant expiry = issuerRoot().getNotAfter().toInstant();
        if (expiry.minus(warnBefore).isAfter(now)) {
            return;
        }
        if (lastWarning == null || !lastWarning.plus(Duration.ofDays(1)).isAfter(now)) {
            lastWarning = now;
            logger.warn(
                    "CA: the signing root {} expires at {} ({} from now)",
                    subject(issuerRoot()),
                    expiry,
                    Duration.between(now, expiry));
        }
    }

    private void notifyListeners(State s) {
        for (Consumer<State> listener : listeners) {
            try {
                listener.accept(s);
            } catch (RuntimeException e) {
                logger.warn("CA rotation listener failed", e);
            }
        }
    }

    private static String subject(X509Certificate c) {
        return "'" + c.getSubjectX500Principal().getName() + "'";
    }
}
