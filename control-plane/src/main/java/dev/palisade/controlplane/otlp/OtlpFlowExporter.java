package dev.palisade.controlplane.otlp;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.controlplane.config.OtlpConfig;
import dev.palisade.controlplane.flows.FlowApi;
import dev.palisade.controlplane.flows.FlowCollector;
import dev.palisade.controlplane.flows.FlowRow;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.DryRunVerdict;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.LogRecordBuilder;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.resources.Resource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/**
 * Emits every flow record the collector stores as an OpenTelemetry log record, through the SDK's
 * {@link SdkLoggerProvider} and {@link BatchLogRecordProcessor} and the OTLP/HTTP exporter (http/protobuf, the JDK's
 * HttpClient).
 *
 * <p>Never blocks or slows the collector: its writer thread only offers each record to a bounded hand-off queue
 * ({@link #stored}); one thread of our own renders records (the flows API's JSON is the body) and emits them while
 * the SDK's queue has room. A permit per record in the SDK's hands (queued, batched or in an export request) keeps
 * its queue from ever overflowing silently, so that every loss is counted here: a full hand-off queue (the endpoint
 * is down or slow and both queues are full), a failed export request (the SDK gives up after its retries), or
 * records still queued at {@link #close()}. Delivery is best effort: the store is the system of record.
 *
 * <p>Checkpoints and gaps of the chain are not exported: they prove the chain, which only the store holds whole.
 */
public final class OtlpFlowExporter implements FlowCollector.StoredListener, AutoCloseable {
    private static final org.slf4j.Logger logger = LoggerFactory.getLogger(OtlpFlowExporter.class);
    /** {@code service.name} of the exported logs' resource. */
    public static final String SERVICE_NAME = "palisade-control-plane";
    /** The instrumentation scope of the exported logs. */
    public static final String SCOPE = "dev.palisade.controlplane.flows";
    /** The event name of every exported record. */
    public static final String EVENT_NAME = "palisade.flow";

    static final AttributeKey<String> SIDECAR = AttributeKey.stringKey("palisade.sidecar");
    static final AttributeKey<Long> SEQ = AttributeKey.longKey("palisade.seq");
    static final AttributeKey<String> SOURCE_ID = AttributeKey.stringKey("palisade.source.id");
    static final AttributeKey<String> DESTINATION_ID = AttributeKey.stringKey("palisade.destination.id");
    static final AttributeKey<String> PROTOCOL = AttributeKey.stringKey("palisade.protocol");
    static final AttributeKey<String> DECISION = AttributeKey.stringKey("palisade.decision");
    static final AttributeKey<String> POLICY = AttributeKey.stringKey("palisade.policy");
    static final AttributeKey<Long> RULE = AttributeKey.longKey("palisade.rule");
    static final AttributeKey<List<String>> AUDIT_POLICIES = AttributeKey.stringArrayKey("palisade.audit_policies");
    static final AttributeKey<String> DRY_RUN_POLICY = AttributeKey.stringKey("palisade.dry_run_deny.policy");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("palisade.request_id");
    // Semantic-convention names where one exists.
    static final AttributeKey<String> SOURCE_ADDRESS = AttributeKey.stringKey("source.address");
    static final AttributeKey<Long> SOURCE_PORT = AttributeKey.longKey("source.port");
    static final AttributeKey<String> DESTINATION_ADDRESS = AttributeKey.stringKey("destination.address");
    static final AttributeKey<Long> DESTINATION_PORT = AttributeKey.longKey("destination.port");
    static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<Long> GRPC_STATUS = AttributeKey.longKey("rpc.grpc.status_code");

    private static final long CLOSE_DRAIN_MILLIS = 2_000;

    /** A stored record waiting to be rendered and emitted. */
    private record Pending(String sender, Entry entry, Instant received) {}

    private final BlockingQueue<Pending> handoff;
    private final Semaphore sdkRoom;
    private final SdkLoggerProvider provider;
    private final Logger otel;
    private final Clock clock;
    private final Duration exportTimeout;
    private final Thread emitter;
    private volatile boolean running = true;

    private final AtomicLong exported = new AtomicLong();
    private final AtomicLong droppedQueueFull = new AtomicLong();
    private final AtomicLong droppedExportFailed = new AtomicLong();
    private final AtomicLong droppedShutdown = new AtomicLong();

    /** Exports to {@code config.endpoint()} over OTLP/HTTP (http/protobuf). */
    public static OtlpFlowExporter start(OtlpConfig config, Clock clock) {
        requireNonNull(config, "config");
        LogRecordExporter http = OtlpHttpLogRecordExporter.builder()
                .setEndpoint(config.endpoint().toString())
                .setTimeout(config.exportTimeout())
                .build();
        logger.info(
                "exporting stored flow records as OTLP logs (http/protobuf) to {}, queue {}",
                config.endpoint(),
                config.queueSize());
        return new OtlpFlowExporter(config, http, clock);
    }

    OtlpFlowExporter(OtlpConfig config, LogRecordExporter exporter, Clock clock) {
        this.clock = requireNonNull(clock, "clock");
        this.exportTimeout = config.exportTimeout();
        this.handoff = new ArrayBlockingQueue<>(config.queueSize());
        this.sdkRoom = new Semaphore(config.queueSize());
        this.provider = SdkLoggerProvider.builder()
                .setResource(Resource.getDefault()
                        .merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), SERVICE_NAME))))
                .addLogRecordProcessor(
                        BatchLogRecordProcessor.builder(new CountingExporter(requireNonNull(exporter, "exporter")))
                                .setMaxQueueSize(config.queueSize())
                                .setMaxExportBatchSize(config.maxBatchSize())
                                .setScheduleDelay(config.scheduleDelay())
                                .setExporterTimeout(config.exportTimeout())
                                .build())
                .build();
        this.otel = provider.loggerBuilder(SCOPE).build();
        this.emitter = new Thread(this::emitLoop, "palisade-flow-otlp");
        emitter.setDaemon(true);
        emitter.start();
    }

    /** Collector's writer thread: offers each stored record; a full queue drops it, counted. */
    @Override
    public void stored(SpiffeId sender, List<Entry> entries) {
        String senderText = sender.toString();
        Instant now = clock.instant();
        for (Entry e : entries) {
            if (!e.hasRecord()) {
                continue;
            }
            if (!running) {
                droppedShutdown.incrementAndGet();
            } else if (!handoff.offer(new Pending(senderText, e, now))) {
                droppedQueueFull.incrementAndGet();
            }
        }
    }

    /** Records the endpoint accepted. */
    public long exported() {
        return exported.get();
    }

    /** Records dropped because both queues were full (the endpoint is down or slower than ingest). */
    public long droppedQueueFull() {
        return droppedQueueFull.get();
    }

    /** Records in export requests that failed (after the exporter's retries) or timed out. */
    public long droppedExportFailed() {
        return droppedExportFailed.get();
    }

    /** Records not yet handed to the SDK when the exporter closed (it emits what it can for 2 s). */
    public long droppedShutdown() {
        return droppedShutdown.get();
    }

    private void emitLoop() {
        try {
            while (running || !handoff.isEmpty()) {
                Pending p = handoff.poll(100, TimeUnit.MILLISECONDS);
                if (p == null) {
                    continue;
                }
                boolean room;
                try {
                    room = acquireRoom();
                } catch (InterruptedException e) {
                    droppedShutdown.incrementAndGet();
                    throw e;
                }
                if (!room) {
                    // Closing, and the SDK is still full: close() counts what is left.
                    droppedShutdown.incrementAndGet();
                    return;
                }
                try {
                    emit(p);
                } catch (RuntimeException e) {
                    sdkRoom.release();
                    droppedExportFailed.incrementAndGet();
                    logger.warn("cannot emit a flow record as an OTLP log", e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for the SDK to have room for one more record; false when closing and it has none. */
    private boolean acquireRoom() throws InterruptedException {
        while (!sdkRoom.tryAcquire(100, TimeUnit.MILLISECONDS)) {
            if (!running) {
                return false;
            }
        }
        return true;
    }

    private void emit(Pending p) {
        FlowRecord r = p.entry().getRecord();
        FlowRow row = new FlowRow(p.sender(), p.entry().getSeq(), p.sender(), p.received(), r);
        boolean deny = r.getDecision() == Decision.DENY;
        LogRecordBuilder b = otel.logRecordBuilder()
                .setTimestamp(row.time())
                .setObservedTimestamp(p.received())
                .setSeverity(deny ? Severity.WARN : Severity.INFO)
                .setSeverityText(deny ? "WARN" : "INFO")
                .setEventName(EVENT_NAME)
                .setBody(FlowApi.rowJson(row))
                .setAttribute(SIDECAR, p.sender())
                .setAttribute(SEQ, p.entry().getSeq())
                .setAttribute(PROTOCOL, r.getProtocol().name().toLowerCase(Locale.ROOT))
                .setAttribute(DECISION, row.decision());
        putNonEmpty(b, SOURCE_ID, r.getSourceId());
        putNonEmpty(b, DESTINATION_ID, r.getDestinationId());
        putNonEmpty(b, SOURCE_ADDRESS, r.getSourceAddress());
        putNonEmpty(b, DESTINATION_ADDRESS, r.getDestinationAddress());
        if (r.getSourcePort() != 0) {
            b.setAttribute(SOURCE_PORT, (long) r.getSourcePort());
        }
        if (r.getDestinationPort() != 0) {
            b.setAttribute(DESTINATION_PORT, (long) r.getDestinationPort());
        }
        putNonEmpty(b, HTTP_METHOD, r.getMethod());
        putNonEmpty(b, URL_PATH, r.getPath());
        if (r.getStatus() != 0) {
            b.setAttribute(HTTP_STATUS, (long) r.getStatus());
        }
        if (r.hasGrpcStatus()) {
            b.setAttribute(GRPC_STATUS, (long) r.getGrpcStatus());
        }
        if (!r.getPolicy().isEmpty()) {
            b.setAttribute(POLICY, r.getPolicy());
            b.setAttribute(RULE, (long) r.getRule());
        }
        if (r.getAuditPoliciesCount() > 0) {
            b.setAttribute(AUDIT_POLICIES, List.copyOf(r.getAuditPoliciesList()));
        }
        if (r.getDryRun() == DryRunVerdict.DRY_RUN_WOULD_DENY) {
            b.setAttribute(DRY_RUN_POLICY, r.getDryRunPolicy());
        }
        putNonEmpty(b, REQUEST_ID, r.getRequestId());
        b.emit();
    }

    private static void putNonEmpty(LogRecordBuilder b, AttributeKey<String> key, String value) {
        if (!value.isEmpty()) {
            b.setAttribute(key, value);
        }
    }

    /**
     * Emits what is queued (for up to 2 s), then flushes and shuts down the SDK (up to the export timeout). Close the
     * collector first.
     */
    @Override
    public void close() {
        running = false;
        try {
            emitter.join(CLOSE_DRAIN_MILLIS);
            if (emitter.isAlive()) {
                emitter.interrupt();
                emitter.join(CLOSE_DRAIN_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // The collector is closed and the emitter gone: what is left was never emitted.
        droppedShutdown.addAndGet(handoff.size());
        handoff.clear();
        CompletableResultCode done = provider.shutdown();
        done.join(exportTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        if (!done.isSuccess()) {
            logger.warn("the OTLP log exporter did not shut down cleanly; records in flight may be lost");
        }
    }

    /** Counts what each export request delivered or lost, and gives the SDK's room back when it is over. */
    private final class CountingExporter implements LogRecordExporter {
        private final LogRecordExporter delegate;

        CountingExporter(LogRecordExporter delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletableResultCode export(Collection<LogRecordData> logs) {
            int n = logs.size();
            CompletableResultCode result;
            try {
                result = delegate.export(logs);
            } catch (RuntimeException e) {
                logger.warn("the OTLP exporter failed", e);
                result = CompletableResultCode.ofFailure();
            }
            CompletableResultCode r = result;
            r.whenComplete(() -> {
                if (r.isSuccess()) {
                    exported.addAndGet(n);
                } else {
                    droppedExportFailed.addAndGet(n);
                }
                sdkRoom.release(n);
            });
            return r;
        }

        @Override
        public CompletableResultCode flush() {
            return delegate.flush();
        }

        @Override
        public CompletableResultCode shutdown() {
            return delegate.shutdown();
        }
    }
}
