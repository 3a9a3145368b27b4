/**
 * The mutating admission webhook: {@link dev.palisade.injector.webhook.AdmissionReviewHandler} turns an
 * {@code admission.k8s.io/v1} AdmissionReview into its response (a JSONPatch from the
 * {@link dev.palisade.injector.mutate.SidecarInjector}), and {@link dev.palisade.injector.webhook.WebhookServer} serves
 * it over HTTPS with Netty. Bad input never escapes as an exception: a request that is not an AdmissionReview v1 gets
 * HTTP 400 naming the problem, a pod that cannot be injected gets the configured
 * {@link dev.palisade.injector.webhook.FailurePolicy}.
 */
@NullMarked
package dev.palisade.injector.webhook;

import org.jspecify.annotations.NullMarked;
