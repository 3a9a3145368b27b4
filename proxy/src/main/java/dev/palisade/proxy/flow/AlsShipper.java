package dev.palisade.proxy.flow;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.CodedOutputStream;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.flowlog.SpillQueue;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.proxy.identity.Backoff;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships the chain's entries from the {@link SpillQueue} to the control plane's collector over Envoy's
 * AccessLogService, one bounded batch per stream ({@link AlsMessages} has the wire contract).
 *
 * <p>Delivery: the collector stores idempotently by (sidecar, seq) and answers only when the stream closes, so a
 * batch counts as delivered only when the stream that carried it was half-closed by us and the collector answered
 * with a {@code StreamAccessLogsResponse} and status OK. Until then the batch is kept and, after any failure (refused,
 * unreachable, deadline), re-sent whole on a new stream after {@link Backoff}: duplicates are possible, loss is not.
 * A batch is up to {@code batchEntries} entries, or what arrived within {@code batchDelay} of its first entry.
 *
 * <p>Threading: one daemon thread of its own, which alone polls the queue and blocks on the collector; the data path
 * never waits for it (it offers to the flow-log file's queue, whose writer thread feeds the spill queue). The batch
 * being sent is held by this thread, outside the spill queue: when the thread stops with it undelivered it goes back
 * to the front of the queue ({@link SpillQueue#returnUnshipped}), whose close keeps it for the next process; on a
 * crash it is lost like the queue's memory part.
 */
final class AlsShipper implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(AlsShipper.class);
    private static final long IDLE_WAIT_MILLIS = 1000;
    private static final long FILL_STEP_MILLIS = 20;
    /** CodedOutputStream's buffer when a message is drained into gRPC's frame (its default size). */
    private static final int DRAIN_BUFFER = 4096;

    private final SpillQueue queue;
    private final SpiffeId sidecar;
    private final InetSocketAddress collector;
    private final Supplier<SslContext> sslContext;
    private final Backoff backoff;
    private final int batchEntries;
    private final Duration batchDelay;
    private final Duration streamDeadline;
    private final SecureRandom random = new SecureRandom();
    private final Thread thread;
    private final Object monitor = new Object();

    /**
     * AccessLogService's StreamAccessLogs with {@link AlsMessages.Message} as its request: each message is encoded
     * straight into gRPC's frame ({@link MessageStream}) instead of being built as Envoy's generated messages first.
     */
    static final MethodDescriptor<AlsMessages.Message, StreamAccessLogsResponse> STREAM_ACCESS_LOGS =
            AccessLogServiceGrpc.getStreamAccessLogsMethod().toBuilder(
                            new MessageMarshaller(),
                            AccessLogServiceGrpc.getStreamAccessLogsMethod().getResponseMarshaller())
                    .build();

    private final AtomicLong shipped = new AtomicLong();
    private final AtomicLong streamsOk = new AtomicLong();
    private final AtomicLong streamsFailed = new AtomicLong();
    private volatile int inFlight;
    private volatile boolean idle;
    private volatile @Nullable String lastError;

    // Read by the shipper thread, set by close().
    private volatile boolean draining;
    private volatile long drainDeadlineNanos;
    private volatile boolean stopped;
    private volatile @Nullable ManagedChannel channel;

    AlsShipper(
            SpillQueue queue,
            SpiffeId sidecar,
            InetSocketAddress collector,
            Supplier<SslContext> sslContext,
            Backoff backoff,
            int batchEntries,
            Duration batchDelay,
            Duration streamDeadline) {
        this.queue = requireNonNull(queue, "queue");
        this.sidecar = requireNonNull(sidecar, "sidecar");
        this.collector = requireNonNull(collector, "collector");
        this.sslContext = requireNonNull(sslContext, "sslContext");
        this.backoff = requireNonNull(backoff, "backoff");
        if (batchEntries < 1) {
            throw new IllegalArgumentException("batchEntries: " + batchEntries + " (expected: >= 1)");
        }
        this.batchEntries = batchEntries;
        this.batchDelay = requireNonNull(batchDelay, "batchDelay");
        this.streamDeadline = requireNonNull(streamDeadline, "streamDeadline");
        this.thread = new Thread(this::run, "palisade-flowlog-shipper");
        thread.setDaemon(true);
    }

    AlsShipper start() {
        thread.start();
        return this;
    }

    /**
     * An entry was queued: wakes the thread if it waits for work. Called on the flow-log writer thread for every
     * entry, so it takes the monitor only when the shipper is idle.
     */
    void entryQueued() {
        if (idle) {
            synchronized (monitor) {
                monitor.notifyAll();
            }
        }
    }

    /** Entries delivered (duplicates of a re-sent batch counted once). */
    long shipped() {
        return shipped.get();
    }

    /** Entries taken from the queue and not yet known to be delivered. */
    int inFlight() {
        return inFlight;
    }

    /** Streams that delivered their batch. */
    long streamsSucceeded() {
        return streamsOk.get();
    }

    /** Streams that failed (refused, unreachable, deadline): each is retried after backoff. */
    long streamsFailed() {
        return streamsFailed.get();
    }

    /** Why the last stream failed, until one succeeds. */
    @Nullable
    String lastError() {
        return lastError;
    }

    /**
     * Delivers what is queued for at most {@code drain}, then stops: a collector that is away costs at most that
     * long. What is left stays in the spill queue (the batch in flight included), which the next process replays.
     */
    void close(Duration drain) {
        drainDeadlineNanos = System.nanoTime() + drain.toNanos();
        draining = true;
        wakeUp();
        try {
            thread.join(Math.max(1, drain.toMillis()));
            if (thread.isAlive()) {
                stopped = true;
                shutdownChannel(); // fails a stream in progress
                wakeUp();
                thread.join(TimeUnit.SECONDS.toMillis(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopped = true;
            shutdownChannel();
        }
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }

    private void run() {
        List<Entry> batch = new ArrayList<>(batchEntries);
        int failures = 0;
        long batchStarted = 0;
        while (!stopped) {
            if (batch.isEmpty()) {
                fill(batch);
                if (batch.isEmpty()) {
                    if (draining) {
                        break;
                    }
                    waitForEntries();
                    continue;
                }
                batchStarted = System.nanoTime();
            }
            // Let a batch fill up for batchDelay after its first entry, unless it is full or we are closing.
            while (batch.size() < batchEntries
                    && !draining
                    && !stopped
                    && System.nanoTime() - batchStarted < batchDelay.toNanos()) {
                pause(FILL_STEP_MILLIS);
                fill(batch);
            }
            fill(batch);
            if (send(batch)) {
                shipped.addAndGet(batch.size());
                batch.clear();
                inFlight = 0;
                failures = 0;
                lastError = null;
            } else {
                if (draining && System.nanoTime() - drainDeadlineNanos >= 0) {
                    break;
                }
                Duration delay = backoff.delay(failures++, random::nextDouble);
                logger.warn(
                        "flow logs: shipping {} entries to the collector at {} failed ({}); retrying in {}, {} queued",
                        batch.size(),
                        collector,
                        lastError,
                        delay,
                        queue.size());
                pauseUnlessStopped(delay.toMillis());
                ManagedChannel ch = channel;
                if (ch != null) {
                    ch.resetConnectBackoff(); // our backoff decides when to retry, not the channel's (up to 120 s)
                }
            }
        }
        if (!batch.isEmpty()) {
            queue.returnUnshipped(batch); // ahead of the rest, in order: the spill queue's close keeps them
            batch.clear();
            inFlight = 0;
        }
        long left = queue.size();
        if (left > 0) {
            logger.warn(
                    "flow logs: stopped with {} entries not delivered to the collector; kept for the next start", left);
        }
    }

    private void fill(List<Entry> batch) {
        queue.drainTo(batch, batchEntries - batch.size());
        inFlight = batch.size();
    }

    /** One stream: the batch, half-close, wait for the answer. True when the collector answered with OK. */
    private boolean send(List<Entry> batch) {
        ManagedChannel ch;
        try {
            ch = channel();
        } catch (RuntimeException e) {
            return failed("no channel: " + e);
        }
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        StreamObserver<AlsMessages.Message> out = null;
        try {
            ClientCall<AlsMessages.Message, StreamAccessLogsResponse> call = ch.newCall(
                    STREAM_ACCESS_LOGS,
                    CallOptions.DEFAULT.withDeadlineAfter(streamDeadline.toMillis(), TimeUnit.MILLISECONDS));
            out = ClientCalls.asyncClientStreamingCall(call, new StreamObserver<>() {
                private boolean answered;

                @Override
                public void onNext(StreamAccessLogsResponse response) {
                    answered = true;
                }

                @Override
                public void onError(Throwable t) {
                    done.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    done.complete(answered);
                }
            });
            for (AlsMessages.Message message : AlsMessages.of(sidecar, batch)) {
                out.onNext(message);
            }
            out.onCompleted();
        } catch (RuntimeException e) {
            if (out != null) {
                // Part of the batch may be on the wire already: cancel the stream rather than leave it open until its
                // deadline. The whole batch is sent again on the next try (the collector ignores exact re-sends).
                out.onError(e);
            }
            return failed(e.toString());
        }
        try {
            boolean answered = done.get(streamDeadline.toMillis() + 1000, TimeUnit.MILLISECONDS);
            if (!answered) {
                return failed("the collector closed the stream without an answer");
            }
            streamsOk.incrementAndGet();
            return true;
        } catch (ExecutionException e) {
            return failed(String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            return failed("no answer within " + streamDeadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
            return failed("interrupted");
        }
    }

    private boolean failed(String why) {
        streamsFailed.incrementAndGet();
        lastError = why;
        return false;
    }

    private ManagedChannel channel() {
        ManagedChannel ch = channel;
        if (ch == null) {
            // Built on first use: the SslContext (the SVID's) may not exist when the sink opens.
            ch = NettyChannelBuilder.forAddress(collector.getHostString(), collector.getPort())
                    .sslContext(requireNonNull(sslContext.get(), "sslContext"))
                    // This shipper retries whole batches itself. gRPC's own retry would keep every sent message
                    // reachable for replay until the collector's answer, i.e. a whole batch's messages and the entries
                    // they hold.
                    .disableRetry()
                    .build();
            channel = ch;
        }
        return ch;
    }

    private void shutdownChannel() {
        ManagedChannel ch = channel;
        if (ch != null) {
            ch.shutdownNow();
            try {
                ch.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void waitForEntries() {
        synchronized (monitor) {
            idle = true;
            try {
                // Re-checked under the monitor: an entry queued before idle was set would otherwise wait a second.
                if (queue.size() == 0 && !draining && !stopped) {
                    monitor.wait(IDLE_WAIT_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped = true;
            } finally {
                idle = false;
            }
        }
    }

    private void pause(long millis) {
        synchronized (monitor) {
            try {
                monitor.wait(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped = true;
            }
        }
    }

    /**
     * Waits {@code millis} (a backoff): new entries do not shorten it, closing does, down to the end of the drain
     * time, and stopping ends it.
     */
    private void pauseUnlessStopped(long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!stopped) {
            long end = draining && drainDeadlineNanos - until < 0 ? drainDeadlineNanos : until;
            long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
            if (left <= 0) {
                return;
            }
            pause(left);
        }
    }

    private void wakeUp() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    /** Writes an {@link AlsMessages.Message}; the sidecar never reads one. */
    private static final class MessageMarshaller implements MethodDescriptor.Marshaller<AlsMessages.Message> {
        @Override
        public InputStream stream(AlsMessages.Message message) {
            return new MessageStream(message);
        }

        @Override
        public AlsMessages.Message parse(InputStream stream) {
            throw new UnsupportedOperationException("the sidecar only sends access-log messages");
        }
    }

    /**
     * A message as gRPC's framer takes it: its length known up front ({@link KnownLength}) and its bytes written into
     * the frame ({@link Drainable}), as protobuf's own marshaller does. Reading it byte by byte, which the framer does
     * not do, encodes it into an array first.
     */
    private static final class MessageStream extends InputStream implements Drainable, KnownLength {
        private AlsMessages.@Nullable Message message;
        private @Nullable ByteArrayInputStream encoded;

        MessageStream(AlsMessages.Message message) {
            this.message = message;
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            AlsMessages.Message m = message;
            if (m != null) {
                int size = m.serializedSize();
                CodedOutputStream out = CodedOutputStream.newInstance(target, Math.min(size, DRAIN_BUFFER));
                m.writeTo(out);
                out.flush();
                message = null;
                if (out.getTotalBytesWritten() != size) {
                    // The frame's length prefix says size: a mismatch would corrupt the stream, so fail the call.
                    throw new IOException(
                            "an access-log message of " + size + " bytes wrote " + out.getTotalBytesWritten());
                }
                return size;
            }
            ByteArrayInputStream e = encoded;
            return e == null ? 0 : (int) e.transferTo(target);
        }

        @Override
        public int available() {
            AlsMessages.Message m = message;
            if (m != null) {
                return m.serializedSize();
            }
            ByteArrayInputStream e = encoded;
            return e == null ? 0 : e.available();
        }

        @Override
        public int read() throws IOException {
            return encoded().read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return encoded().read(b, off, len);
        }

        private ByteArrayInputStream encoded() throws IOException {
            AlsMessages.Message m = message;
            if (m != null) {
                byte[] bytes = new byte[m.serializedSize()];
                CodedOutputStream out = CodedOutputStream.newInstance(bytes);
                m.writeTo(out);
                out.checkNoSpaceLeft();
                encoded = new ByteArrayInputStream(bytes);
                message = null;
            }
            ByteArrayInputStream e = encoded;
            return e == null ? new ByteArrayInputStream(new byte[0]) : e;
        }
    }
}
