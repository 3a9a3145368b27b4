/**
 * {@code palisade inject}: {@link dev.palisade.injector.manifest.ManifestInjector} rewrites the pod templates of Pods,
 * Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs in multi-document YAML with the same
 * {@link dev.palisade.injector.mutate.SidecarInjector} as the webhook, and copies every other document — and every
 * workload it leaves alone — byte for byte.
 */
@NullMarked
package dev.palisade.injector.manifest;

import org.jspecify.annotations.NullMarked;
