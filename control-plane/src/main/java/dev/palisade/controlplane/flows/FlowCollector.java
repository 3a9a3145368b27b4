package dev.palisade.controlplane.flows;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.xds.PeerIdentityInterceptor;
import dev.palisade.flowlog.v1.Entry;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The flow-log collector: Envoy's AccessLogService ({@code envoy.service.accesslog.v3}, {@code StreamAccessLogs}) on
 * the control plane's gRPC port, storing each sidecar's chain in a {@link FlowStore}.
 *
 * <p>Wire contract with the sidecar's shipper: each message's {@code identifier.node.id} is the sidecar's SPIFFE ID
 * (required on the first message, like Envoy) and {@code identifier.log_name} is {@value #LOG_NAME}; each flow-log
 * entry is one log entry ({@code http_logs} for HTTP records, {@code tcp_logs} for TCP records, checkpoints and gaps)
 * whose {@code common_properties.filter_state_objects[}{@value #ENTRY_KEY}{@code ]} is {@code Any.pack(entry)}: the
 * authoritative content; every other Envoy field is ignored.
 *
 * <p>Refused, failing the whole stream: no verified client certificate in the mesh's trust domain
 * (UNAUTHENTICATED); a node id other than that certificate's SPIFFE ID, or an entry of another sidecar's chain
 * (PERMISSION_DENIED: a sidecar never writes another's chain); a first message without identifier, another log
 * name, a log entry without a readable Entry (INVALID_ARGUMENT). Entries of messages accepted before the refusal are
 * stored.
 *
 * <p>Threads and back-pressure: gRPC threads only validate and enqueue; one writer thread stores batches of
 * messages, one transaction per sender. The queue is bounded; a stream whose message finds it full keeps that one
 * message and is not asked for more ({@link ServerCallStreamObserver#disableAutoRequest()}, HTTP/2 flow control
 * then holds the sender) until the writer has made room. The response (ALS has one, empty) is sent at the stream's
 * close, after all its entries are stored: delivery is otherwise acknowledged implicitly, and the sender re-sends
 * from its spill queue after a reconnect, which the store absorbs (idempotent on {@code (sidecar, seq)}).
 */
public final class FlowCollector extends AccessLogServiceGrpc.AccessLogServiceImplBase implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(FlowCollector.class);
    /** {@code identifier.log_name} of the shipper's streams. */
    public static final String LOG_NAME = "palisade-flows";
    /** The filter-state key that carries the packed {@link Entry}. */
    public static final String ENTRY_KEY = "dev.palisade.flowlog.v1.Entry";

    private static final int DRAIN_MESSAGES = 256;

    private final FlowStore store;
    private final TrustDomain trustDomain;
    private final StoredListener listener;
    private final BlockingQueue<Batch> queue;
    private final ConcurrentLinkedQueue<Stream> waiting = new ConcurrentLinkedQueue<>();
    private final Thread writer;
    private volatile boolean running = true;

    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong entriesReceived = new AtomicLong();
    private final AtomicLong entriesStored = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();
    private final AtomicLong streamsRefused = new AtomicLong();
    private final AtomicLong storeFailures = new AtomicLong();

    /**
     * Starts the writer thread.
     *
     * @param queueMessages how many received messages may wait for the writer before streams are held
     */
    public FlowCollector(FlowStore store, TrustDomain trustDomain, int queueMessages) {
        this(store, trustDomain, queueMessages, StoredListener.NONE);
    }

    /**
     * Starts the writer thread; {@code listener} hears of every entry newly stored.
     *
     * @param queueMessages how many received messages may wait for the writer before streams are held
     */
    public FlowCollector(FlowStore store, TrustDomain trustDomain, int queueMessages, StoredListener listener) {
        this.store = requireNonNull(store, "store");
        this.trustDomain = requireNonNull(trustDomain, "trustDomain");
        this.listener = requireNonNull(listener, "listener");
        if (queueMessages < 1) {
            throw new IllegalArgumentException("queueMessages: " + queueMessages + " (expected: > 0)");
        }
        this.queue = new ArrayBlockingQueue<>(queueMessages);
        this.writer = new Thread(this::writeLoop, "palisade-flow-collector");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * Hears of the entries the store has just committed: not duplicates, not conflicts. Called on the collector's
     * writer thread, so it must return at once (hand the entries off; never block, never do I/O): the writer holds
     * every sender while it runs.
     */
    @FunctionalInterface
    public interface StoredListener {
        StoredListener NONE = (sender, entries) -> {};

        /**
         * @param sender the verified SPIFFE ID that delivered them (each entry's {@code sidecar})
         * @param entries the new entries, in chain order within the batch
         */
        void stored(SpiffeId sender, List<Entry> entries);
    }

    /** The service with the interceptor that puts the caller's verified SPIFFE ID into the call's context. */
    public ServerServiceDefinition service() {
        return ServerInterceptors.intercept(this, new PeerIdentityInterceptor());
    }

    @Override
    public StreamObserver<StreamAccessLogsMessage> streamAccessLogs(
            StreamObserver<StreamAccessLogsResponse> responseObserver) {
        ServerCallStreamObserver<StreamAccessLogsResponse> call =
                (ServerCallStreamObserver<StreamAccessLogsResponse>) responseObserver;
        call.disableAutoRequest();
        Optional<SpiffeId> peer = PeerIdentityInterceptor.current();
        if (peer.isEmpty() || !peer.get().trustDomain().equals(trustDomain)) {
            streamsRefused.incrementAndGet();
            call.onError(Status.UNAUTHENTICATED
                    .withDescription(
                            peer.isEmpty()
                                    ? "flow logs require a client certificate (the sidecar's SVID)"
                                    : peer.get() + " is not in the trust domain " + trustDomain)
                    .asRuntimeException());
            return new StreamObserver<>() {
                @Override
                public void onNext(StreamAccessLogsMessage value) {}

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
            };
        }
        Stream stream = new Stream(peer.get(), call);
        call.request(1);
        return stream;
    }

    /** Messages accepted (each a batch of entries for the writer). */
    public long batches() {
        return batches.get();
    }

    /** Entries received in accepted messages. */
    public long entriesReceived() {
        return entriesReceived.get();
    }

    /** Entries newly stored. */
    public long entriesStored() {
        return entriesStored.get();
    }

    /** Exact re-sends ignored by the store. */
    public long duplicates() {
        return duplicates.get();
    }

    /** Entries that differed from the stored entry of their (sidecar, seq). */
    public long conflicts() {
        return conflicts.get();
    }

    /** Streams failed for identity or format. */
    public long streamsRefused() {
        return streamsRefused.get();
    }

    /** Batches the store could not write (their streams were failed with UNAVAILABLE: the senders re-send). */
    public long storeFailures() {
        return storeFailures.get();
    }

    /** Stores what is queued, then stops the writer. Close the gRPC server first. */
    @Override
    public void close() {
        running = false;
        try {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The entries of one accepted message. */
    private record Batch(Stream stream, List<Entry> entries) {}

    private void writeLoop() {
        List<Batch> batches = new ArrayList<>();
        while (running || !queue.isEmpty() || !waiting.isEmpty()) {
            try {
                Batch first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first != null) {
                    batches.add(first);
                    queue.drainTo(batches, DRAIN_MESSAGES - 1);
                    write(batches);
                    batches.clear();
                }
                unpark();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                logger.warn("flow collector writer failed; continuing", e);
                batches.clear();
            }
        }
    }

    private void write(List<Batch> batches) {
        Map<SpiffeId, List<Batch>> bySender = new LinkedHashMap<>();
        for (Batch b : batches) {
            bySender.computeIfAbsent(b.stream().peer, k -> new ArrayList<>()).add(b);
        }
        for (Map.Entry<SpiffeId, List<Batch>> group : bySender.entrySet()) {
            List<Entry> entries = new ArrayList<>();
            for (Batch b : group.getValue()) {
                entries.addAll(b.entries());
            }
            @Nullable Status failure = null;
            try {
                FlowStore.IngestResult r = store.ingest(entries, group.getKey());
                entriesStored.addAndGet(r.stored());
                if (r.stored() > 0) {
                    try {
                        listener.stored(group.getKey(), r.storedEntries());
                    } catch (RuntimeException e) {
                        logger.warn("a listener of stored flow entries failed; the entries are stored", e);
                    }
                }
                duplicates.addAndGet(r.duplicates());
                conflicts.addAndGet(r.conflicts());
                if (r.conflicts() > 0) {
                    logger.warn(
                            "{} sent {} entries that differ from stored entries of the same seq; kept as conflicts",
                            group.getKey(),
                            r.conflicts());
                }
            } catch (FlowStoreException e) {
                storeFailures.incrementAndGet();
                logger.warn("cannot store {} flow entries from {}", entries.size(), group.getKey(), e);
                failure = Status.UNAVAILABLE.withDescription("the flow store failed; re-send later");
            }
            for (Batch b : group.getValue()) {
                b.stream().written(failure);
            }
        }
    }

    /** Moves parked messages into the queue as room appears, and asks their streams for more. */
    private void unpark() {
        Stream s;
        while (queue.remainingCapacity() > 0 && (s = waiting.poll()) != null) {
            if (!s.unpark()) {
                waiting.add(s);
                return;
            }
        }
    }

    /** One ALS stream from one sidecar. gRPC serialises {@code onNext}/{@code onError}/{@code onCompleted}. */
    private final class Stream implements StreamObserver<StreamAccessLogsMessage> {
        final SpiffeId peer;
        private final String peerText;
        private final ServerCallStreamObserver<StreamAccessLogsResponse> call;
        private boolean identified;
        // Guarded by this: shared with the writer thread.
        private int pending;
        private boolean halfClosed;
        private boolean done;
        private @Nullable Batch parked;

        Stream(SpiffeId peer, ServerCallStreamObserver<StreamAccessLogsResponse> call) {
            this.peer = peer;
            this.peerText = peer.toString();
            this.call = call;
        }

        @Override
        public void onNext(StreamAccessLogsMessage message) {
            synchronized (this) {
                if (done) {
                    return;
                }
            }
            List<Entry> entries;
            try {
                entries = accept(message);
            } catch (Refusal r) {
                streamsRefused.incrementAndGet();
                logger.warn("flow-log stream from {} refused: {}", peer, r.status.getDescription());
                fail(r.status);
                return;
            }
            batches.incrementAndGet();
            entriesReceived.addAndGet(entries.size());
            Batch batch = new Batch(this, entries);
            synchronized (this) {
                pending++;
            }
            if (queue.offer(batch)) {
                requestMore();
            } else {
                synchronized (this) {
                    parked = batch;
                }
                waiting.add(this);
            }
        }

        private List<Entry> accept(StreamAccessLogsMessage message) throws Refusal {
            if (message.hasIdentifier()) {
                String node = message.getIdentifier().getNode().getId();
                if (!node.equals(peerText)) {
                    throw new Refusal(Status.PERMISSION_DENIED.withDescription(
                            "node id '" + node + "' is not the SPIFFE ID of the client certificate, " + peer));
                }
                if (!message.getIdentifier().getLogName().equals(LOG_NAME)) {
                    throw new Refusal(Status.INVALID_ARGUMENT.withDescription(
                            "log_name '" + message.getIdentifier().getLogName() + "' (expected " + LOG_NAME + ")"));
                }
                identified = true;
            } else if (!identified) {
                throw new Refusal(Status.INVALID_ARGUMENT.withDescription(
                        "the first message of a stream must carry identifier.node.id and identifier.log_name"));
            }
            List<Entry> entries = new ArrayList<>();
            for (HTTPAccessLogEntry e : message.getHttpLogs().getLogEntryList()) {
                entries.add(entryOf(e.getCommonProperties()));
            }
            for (TCPAccessLogEntry e : message.getTcpLogs().getLogEntryList()) {
                entries.add(entryOf(e.getCommonProperties()));
            }
            return entries;
        }

        private Entry entryOf(AccessLogCommon common) throws Refusal {
            Any packed = common.getFilterStateObjectsMap().get(ENTRY_KEY);
            if (packed == null) {
                throw new Refusal(Status.INVALID_ARGUMENT.withDescription(
                        "a log entry without common_properties.filter_state_objects[" + ENTRY_KEY + "]"));
            }
            Entry entry;
            try {
                entry = packed.unpack(Entry.class);
            } catch (InvalidProtocolBufferException e) {
                throw new Refusal(Status.INVALID_ARGUMENT.withDescription("filter_state_objects[" + ENTRY_KEY
                        + "] is not a palisade.flowlog.v1.Entry: " + e.getMessage()));
            }
            if (!entry.getSidecar().equals(peerText)) {
                throw new Refusal(Status.PERMISSION_DENIED.withDescription("an entry of the chain of '"
                        + entry.getSidecar() + "' sent by " + peer + ": a sidecar sends only its own chain"));
            }
            return entry;
        }

        private void requestMore() {
            synchronized (this) {
                if (done || halfClosed) {
                    return;
                }
            }
            call.request(1);
        }

        /** Writer thread: offers the parked message; false when the queue had no room after all. */
        boolean unpark() {
            Batch b;
            synchronized (this) {
                b = parked;
                parked = null;
            }
            if (b == null) {
                return true;
            }
            if (!queue.offer(b)) {
                synchronized (this) {
                    parked = b;
                }
                return false;
            }
            requestMore();
            return true;
        }

        /** Writer thread: one batch of this stream is stored ({@code failure == null}) or failed. */
        void written(@Nullable Status failure) {
            if (failure != null) {
                synchronized (this) {
                    pending--;
                }
                fail(failure);
                return;
            }
            synchronized (this) {
                pending--;
                finishIfDone();
            }
        }

        private synchronized void fail(Status status) {
            if (done) {
                return;
            }
            done = true;
            call.onError(status.asRuntimeException());
        }

        /** Holds the lock: answers once the client has half-closed and everything it sent is stored. */
        private void finishIfDone() {
            if (halfClosed && pending == 0 && !done) {
                done = true;
                call.onNext(StreamAccessLogsResponse.getDefaultInstance());
                call.onCompleted();
            }
        }

        @Override
        public synchronized void onError(Throwable t) {
            // The sender went away (cancelled, connection lost): what it sent is still stored.
            done = true;
            logger.debug("flow-log stream from {} ended: {}", peer, t.toString());
        }

        @Override
        public synchronized void onCompleted() {
            halfClosed = true;
            finishIfDone();
        }
    }

    /** A message the collector refuses, with the status that fails its stream. */
    private static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Status status;

        Refusal(Status status) {
            super(status.getDescription(), null, false, false);
            this.status = status;
        }
    }
}
