package dev.palisade.controlplane.kube;

import static java.util.Objects.requireNonNull;

import dev.palisade.controlplane.policy.ObjectKind;
import dev.palisade.controlplane.policy.ObjectRef;
import dev.palisade.controlplane.policy.PolicyException;
import dev.palisade.controlplane.policy.PolicyLoadException;
import dev.palisade.controlplane.policy.PolicyObject;
import dev.palisade.controlplane.policy.PolicySet;
import dev.palisade.controlplane.policy.PolicySetListener;
import dev.palisade.controlplane.policy.Workload;
import dev.palisade.controlplane.policy.WorkloadPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes-mode policy source: watches {@code AuthorizationPolicy} and {@code PeerAuthentication} resources
 * ({@code security.palisade.dev/v1}, every namespace), Pods and Namespaces through informers, and tells a
 * {@link PolicySetListener} — the interface the local directory watcher reports to — about each new
 * {@link PolicySet}.
 *
 * <p><b>Validity is per object.</b> Each resource is read by the policy files' strict parser (see
 * {@link PolicyResourceReader}). A valid one replaces the resource's previous version in the set; an invalid one is
 * left out, and the last valid version of that resource this control plane has seen, if any, stays in force (a
 * control plane that starts while a resource is invalid has none). Every resource gets the condition
 * {@code Accepted} in {@code status.conditions} through the status subresource: {@code True}, or {@code False} with
 * reason {@code Invalid} and the parser's message naming each bad field. The listener's
 * {@link PolicySetListener#onError} receives the problems of every invalid resource whenever they change.
 *
 * <p><b>Workloads</b> come from Pods, one per service account (see {@link PodWorkloads}).
 *
 * <p><b>Debouncing:</b> events are gathered until none has arrived for the debounce interval (at most ten
 * intervals), then one set is built from the informers' caches. The set's version is a hash of its content (the
 * documents of the resources in force and the workloads), so a rebuild that changes nothing — a status write, a pod
 * restarting with the same address — reports nothing, and two replicas that see the same objects report the same
 * version.
 *
 * <p>Threads: the informers' own, and one daemon thread from which every listener call and status write is made, in
 * order. {@link #start} returns once every kind has been listed once.
 */
public final class KubernetesPolicySource implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(KubernetesPolicySource.class);

    public static final String GROUP = "security.palisade.dev";
    public static final String VERSION = "v1";

    /** {@code authorizationpolicies.security.palisade.dev/v1}, namespaced: no API discovery needed. */
    public static final ResourceDefinitionContext AUTHORIZATION_POLICIES = new ResourceDefinitionContext.Builder()
            .withGroup(GROUP)
            .withVersion(VERSION)
            .withKind(ObjectKind.AUTHORIZATION_POLICY.kindName())
            .withPlural("authorizationpolicies")
            .withNamespaced(true)
            .build();

    /** {@code peerauthentications.security.palisade.dev/v1}, namespaced. */
    public static final ResourceDefinitionContext PEER_AUTHENTICATIONS = new ResourceDefinitionContext.Builder()
            .withGroup(GROUP)
            .withVersion(VERSION)
            .withKind(ObjectKind.PEER_AUTHENTICATION.kindName())
            .withPlural("peerauthentications")
            .withNamespaced(true)
            .build();

    /** At most this many debounce intervals pass between the first event of a burst and the rebuild. */
    private static final int MAX_DEBOUNCE_INTERVALS = 10;

    private final KubernetesClient client;
    private final PolicySetListener listener;
    private final long debounceNanos;
    private final Clock clock;
    private final ScheduledExecutorService executor;
    private final SharedIndexInformer<GenericKubernetesResource> authorizationPolicies;
    private final SharedIndexInformer<GenericKubernetesResource> peerAuthentications;
    private final SharedIndexInformer<Pod> pods;
    private final SharedIndexInformer<Namespace> namespaces;

    private volatile boolean closed;
    private volatile boolean synced;
    private volatile @Nullable PolicySet lastSet;

    // Guarded by this: the debounce state, touched by informer threads and the executor.
    private boolean pending;
    private long firstEventNanos;
    private long lastEventNanos;

    // Confined to the executor thread.
    private final Map<ObjectRef, PolicyResourceReader.Result> lastRead = new HashMap<>();
    private final Map<ObjectRef, PolicyResourceReader.Result> inForce = new HashMap<>();
    private final Map<ObjectRef, String> inForceUid = new HashMap<>();
    private final Map<ObjectRef, String> statusAttempts = new HashMap<>();
    private Set<String> loggedWarnings = Set.of();
    private @Nullable String lastVersion;
    private List<String> lastProblems = List.of();

    private KubernetesPolicySource(
            KubernetesClient client, PolicySetListener listener, Duration debounce, Clock clock) {
        this.client = requireNonNull(client, "client");
        this.listener = requireNonNull(listener, "listener");
        this.clock = requireNonNull(clock, "clock");
        if (debounce.isNegative()) {
            throw new IllegalArgumentException("debounce: " + debounce + " (expected: >= 0)");
        }
        this.debounceNanos = debounce.toNanos();
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-kubernetes-policies");
            t.setDaemon(true);
            return t;
        });
        this.authorizationPolicies = client.genericKubernetesResources(AUTHORIZATION_POLICIES)
                .inAnyNamespace()
                .runnableInformer(0);
        this.peerAuthentications = client.genericKubernetesResources(PEER_AUTHENTICATIONS)
                .inAnyNamespace()
                .runnableInformer(0);
        this.pods = client.pods().inAnyNamespace().runnableInformer(0);
        this.namespaces = client.namespaces().runnableInformer(0);
    }

    /**
     * Starts the informers and waits until each kind has been listed once; the first set is then built (after the
     * debounce interval) and reported, even when there is nothing to watch.
     *
     * @param debounce quiet time after an event before a set is built
     * @param syncTimeout how long to wait for the first lists
     * @throws KubernetesClientException when a kind cannot be listed (API server unreachable, CRD not installed,
     *     no permission); the message names the kind and the API server
     */
    public static KubernetesPolicySource start(
            KubernetesClient client, PolicySetListener listener, Duration debounce, Duration syncTimeout, Clock clock) {
        KubernetesPolicySource source = new KubernetesPolicySource(client, listener, debounce, clock);
        try {
            source.startInformers(syncTimeout);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
        return source;
    }

    private void startInformers(Duration syncTimeout) {
        ResourceEventHandler<Object> handler = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Object obj) {
                changed();
            }

            @Override
            public void onUpdate(Object oldObj, Object newObj) {
                changed();
            }

            @Override
            public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
                changed();
            }
        };
        Map<String, SharedIndexInformer<?>> informers = new TreeMap<>();
        informers.put(AUTHORIZATION_POLICIES.getPlural() + "." + GROUP, authorizationPolicies);
        informers.put(PEER_AUTHENTICATIONS.getPlural() + "." + GROUP, peerAuthentications);
        informers.put("pods", pods);
        informers.put("namespaces", namespaces);
        Map<String, CompletableFuture<Void>> started = new TreeMap<>();
        informers.forEach((what, informer) -> {
            informer.addEventHandler(handler);
            started.put(what, informer.start().toCompletableFuture());
        });
        long deadline = System.nanoTime() + syncTimeout.toNanos();
        for (Map.Entry<String, CompletableFuture<Void>> e : started.entrySet()) {
            try {
                e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException ex) {
                Throwable cause = ex;
                while ((cause instanceof ExecutionException || cause instanceof CompletionException)
                        && cause.getCause() != null) {
                    cause = cause.getCause();
                }
                throw listFailed(e.getKey(), cause);
            } catch (TimeoutException ex) {
                throw new KubernetesClientException(
                        "cannot list " + e.getKey() + " at " + client.getMasterUrl() + " within " + syncTimeout, ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new KubernetesClientException("interrupted while listing " + e.getKey(), ex);
            }
        }
        synced = true;
        logger.info(
                "watching {} through {}: listed {} authorization policies, {} peer authentications, {} pods, {} namespaces",
                String.join(", ", informers.keySet()),
                client.getMasterUrl(),
                authorizationPolicies.getStore().list().size(),
                peerAuthentications.getStore().list().size(),
                pods.getStore().list().size(),
                namespaces.getStore().list().size());
        changed(); // the first set, even when nothing is there
    }

    private KubernetesClientException listFailed(String what, Throwable cause) {
        int code = cause instanceof KubernetesClientException k ? k.getCode() : 0;
        String hint =
                switch (code) {
                    case 404 ->
                        what.endsWith(GROUP) ? " (is the CustomResourceDefinition " + what + " installed?)" : "";
                    case 401, 403 -> " (may the control plane's service account list and watch it?)";
                    default -> "";
                };
        return new KubernetesClientException(
                "cannot list " + what + " at " + client.getMasterUrl() + hint + ": " + cause, cause);
    }

    /** The last set reported, if any. Safe from any thread. */
    public Optional<PolicySet> lastGood() {
        return Optional.ofNullable(lastSet);
    }

    /** An informer saw a change: (re)arm the debounce timer. */
    private void changed() {
        long now = System.nanoTime();
        synchronized (this) {
            lastEventNanos = now;
            if (pending || closed) {
                return;
            }
            pending = true;
            firstEventNanos = now;
        }
        schedule(this::flush, debounceNanos);
    }

    private void flush() {
        synchronized (this) {
            long now = System.nanoTime();
            long quiet = now - lastEventNanos;
            long waited = now - firstEventNanos;
            long maxWait = MAX_DEBOUNCE_INTERVALS * debounceNanos;
            if (quiet < debounceNanos && waited < maxWait) {
                schedule(this::flush, Math.min(debounceNanos - quiet, maxWait - waited));
                return;
            }
            pending = false;
        }
        try {
            rebuild();
        } catch (RuntimeException e) {
            logger.warn("building the policy set from the API server's objects failed; the current one stays", e);
        }
    }

    private void schedule(Runnable task, long delayNanos) {
        if (closed) {
            return;
        }
        try {
            // Failures are logged by the task itself (flush); nothing waits for it.
            var unused = executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void rebuild() {
        if (closed || !synced) {
            return;
        }
        List<PolicyException> problems = new ArrayList<>();
        List<StatusWrite> writes = new ArrayList<>();
        Set<ObjectRef> present = new HashSet<>();
        read(ObjectKind.AUTHORIZATION_POLICY, AUTHORIZATION_POLICIES, authorizationPolicies, present, problems, writes);
        read(ObjectKind.PEER_AUTHENTICATION, PEER_AUTHENTICATIONS, peerAuthentications, present, problems, writes);
        lastRead.keySet().retainAll(present);
        inForce.keySet().retainAll(present);
        inForceUid.keySet().retainAll(present);
        statusAttempts.keySet().retainAll(present);

        List<PolicyObject> objects = new ArrayList<>();
        TreeMap<ObjectRef, String> documents = new TreeMap<>();
        for (PolicyResourceReader.Result r : inForce.values()) {
            objects.add(requireNonNull(r.object(), "object"));
            documents.put(r.ref(), r.yaml());
        }
        PodWorkloads.Result workloads =
                PodWorkloads.of(pods.getStore().list(), namespaces.getStore().list());
        logNewWarnings(workloads.warnings());
        objects.addAll(workloads.workloads());
        PolicySet set = PolicySet.of(version(documents, workloads.workloads()), objects);
        // Informer caches list in no particular order: sort, so that the same problems compare equal.
        problems.sort(Comparator.comparing(PolicyException::getMessage));
        report(set, problems);
        for (StatusWrite w : writes) {
            w.run();
        }
    }

    /** Reads every resource of one kind from its informer's cache; invalid ones keep their last valid version. */
    private void read(
            ObjectKind kind,
            ResourceDefinitionContext context,
            SharedIndexInformer<GenericKubernetesResource> informer,
            Set<ObjectRef> present,
            List<PolicyException> problems,
            List<StatusWrite> writes) {
        for (GenericKubernetesResource resource : informer.getStore().list()) {
            ObjectRef ref;
            try {
                ref = PolicyResourceReader.ref(kind, resource);
            } catch (IllegalArgumentException e) {
                logger.warn("{} without a valid namespace and name is ignored: {}", kind, e.getMessage());
                continue;
            }
            present.add(ref);
            String uid = String.valueOf(resource.getMetadata().getUid());
            if (!uid.equals(inForceUid.getOrDefault(ref, uid))) {
                // Deleted and created again between two rebuilds: a new object, with no previous version.
                inForce.remove(ref);
                inForceUid.remove(ref);
            }
            String yaml = PolicyResourceReader.yaml(resource);
            PolicyResourceReader.Result previous = lastRead.get(ref);
            PolicyResourceReader.Result result;
            if (previous != null && previous.yaml().equals(yaml)) {
                result = previous;
            } else {
                result = PolicyResourceReader.parse(ref, yaml);
                lastRead.put(ref, result);
                logRead(result);
            }
            if (result.isValid()) {
                inForce.put(ref, result);
                inForceUid.put(ref, uid);
            } else {
                problems.addAll(result.problems());
            }
            AcceptedCondition condition = AcceptedCondition.of(result, resource);
            if (!condition.isCurrent(resource)) {
                String attempt = resource.getMetadata().getResourceVersion() + "\n" + condition;
                if (!attempt.equals(statusAttempts.put(ref, attempt))) {
                    writes.add(new StatusWrite(context, informer, ref, resource, condition));
                }
            }
        }
    }

    private void logRead(PolicyResourceReader.Result result) {
        if (result.isValid()) {
            logger.info("{}: accepted", result.ref());
            return;
        }
        PolicyResourceReader.Result good = inForce.get(result.ref());
        logger.warn(
                "{}: refused, {}: {}",
                result.ref(),
                good == null ? "not in force" : "its last valid version stays in force",
                result.problems().stream().map(PolicyException::getMessage).toList());
    }

    private void logNewWarnings(List<String> warnings) {
        Set<String> current = new LinkedHashSet<>(warnings);
        for (String w : current) {
            if (!loggedWarnings.contains(w)) {
                logger.warn("{}", w);
            }
        }
        loggedWarnings = current;
    }

    private void report(PolicySet set, List<PolicyException> problems) {
        List<String> messages =
                problems.stream().map(PolicyException::getMessage).toList();
        boolean setChanged = !set.version().equals(lastVersion);
        boolean problemsChanged = !messages.equals(lastProblems);
        lastProblems = messages;
        if (setChanged || (problemsChanged && problems.isEmpty())) {
            lastVersion = set.version();
            lastSet = set;
            logger.info(
                    "policy set {}: {} authorization policies, {} peer authentications, {} workloads",
                    set.version(),
                    set.authorizationPolicies().size(),
                    set.peerAuthentications().size(),
                    set.workloads().size());
            notifyListener(() -> listener.onPolicySet(set));
        }
        if (!problems.isEmpty() && (setChanged || problemsChanged)) {
            PolicyLoadException error = new PolicyLoadException("Kubernetes policy resources", problems);
            notifyListener(() -> listener.onError(error));
        }
    }

    private void notifyListener(Runnable call) {
        if (closed) {
            return;
        }
        try {
            call.run();
        } catch (RuntimeException e) {
            logger.warn("policy listener failed", e);
        }
    }

    /**
     * The version of a set: the first 16 hex digits of a SHA-256 over the documents of the resources in force and a
     * canonical form of the workloads, each in sorted order.
     */
    static String version(SortedMap<ObjectRef, String> documents, List<Workload> workloads) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        StringBuilder sb = new StringBuilder();
        documents.forEach(
                (ref, yaml) -> sb.append(ref).append('\n').append(yaml).append('\0'));
        for (Workload w : workloads) {
            sb.append(w.ref())
                    .append(" sa=")
                    .append(w.serviceAccount())
                    .append(" address=")
                    .append(w.address())
                    .append(" labels=")
                    .append(new TreeMap<>(w.labels()))
                    .append(" ports=");
            for (WorkloadPort p : w.ports()) {
                sb.append(p.name())
                        .append(':')
                        .append(p.port())
                        .append(':')
                        .append(p.protocol())
                        .append(',');
            }
            sb.append('\0');
        }
        byte[] digest = sha256.digest(sb.toString().getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 8);
    }

    /** Writes a resource's {@code Accepted} condition through the status subresource. */
    private final class StatusWrite implements Runnable {
        private final ResourceDefinitionContext context;
        private final SharedIndexInformer<GenericKubernetesResource> informer;
        private final ObjectRef ref;
        private final GenericKubernetesResource resource;
        private final AcceptedCondition condition;

        StatusWrite(
                ResourceDefinitionContext context,
                SharedIndexInformer<GenericKubernetesResource> informer,
                ObjectRef ref,
                GenericKubernetesResource resource,
                AcceptedCondition condition) {
            this.context = context;
            this.informer = informer;
            this.ref = ref;
            this.resource = resource;
            this.condition = condition;
        }

        @Override
        public void run() {
            if (closed) {
                return;
            }
            // The informer's object is shared with its cache: change a copy. Its resourceVersion makes the write
            // conditional: a resource changed meanwhile answers 409, and its update event brings a new attempt.
            GenericKubernetesResource copy = client.getKubernetesSerialization().clone(resource);
            copy.setAdditionalProperty("status", condition.applyTo(resource, clock.instant()));
            try {
                client.genericKubernetesResources(context)
                        .inNamespace(ref.namespace())
                        .resource(copy)
                        .updateStatus();
                logger.debug("{}: status {}", ref, condition);
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) {
                    logger.debug("{}: status not written (changed meanwhile): {}", ref, e.getMessage());
                } else if (e.getCode() == 404 && informer.getStore().getByKey(ref.qualifiedName()) == null) {
                    logger.debug("{}: status not written (deleted meanwhile)", ref);
                } else if (e.getCode() == 404) {
                    logger.warn(
                            "{}: cannot write status condition {}: 404 (does the CustomResourceDefinition enable the"
                                    + " status subresource?)",
                            ref,
                            condition);
                } else {
                    logger.warn("{}: cannot write status condition {}: {}", ref, condition, e.getMessage());
                }
            }
        }
    }

    /** Stops the informers; no listener call follows. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (SharedIndexInformer<?> informer : List.of(authorizationPolicies, peerAuthentications, pods, namespaces)) {
            try {
                informer.close();
            } catch (RuntimeException e) {
                logger.debug("closing an informer failed", e);
            }
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
