/**
 * Optional export of stored flow records as OpenTelemetry logs over OTLP/HTTP, for clusters that already run a log
 * pipeline: {@link dev.palisade.controlplane.otlp.OtlpFlowExporter} hears of each record the collector stores and
 * emits it through the OpenTelemetry SDK, best effort (the flow store stays the system of record).
 */
@NullMarked
package dev.palisade.controlplane.otlp;

import org.jspecify.annotations.NullMarked;
