package dev.palisade.cli;

import dev.palisade.injector.mutate.KubernetesVersion;
import dev.palisade.injector.mutate.SidecarInjector;
import dev.palisade.injector.webhook.AdmissionReviewHandler;
import dev.palisade.injector.webhook.ClusterVersionSource;
import dev.palisade.injector.webhook.FailurePolicy;
import dev.palisade.injector.webhook.ServingCertificate;
import dev.palisade.injector.webhook.WebhookServer;
import dev.palisade.injector.webhook.WebhookServerConfig;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code palisade webhook}: the mutating admission webhook, over HTTPS, until SIGTERM.
 *
 * <p>A shutdown hook closes the server (stop accepting, let requests in flight finish for up to two seconds); the JVM
 * then exits with the signal's status, 143. In the chart it runs beside the control plane, which in {@code caBundle.source:
 * controlPlane} mode writes the serving certificate a moment after start-up, hence {@code --tls-wait}.
 */
@Command(
        name = "webhook",
        description = {
            "Run the mutating admission webhook that injects the Palisade sidecar (AdmissionReview v1 over HTTPS:"
                    + " POST /mutate for namespaces labelled palisade.dev/inject=enabled, POST /mutate/opt-in for pods"
                    + " labelled palisade.dev/inject=true elsewhere, GET /ready and /live) until SIGTERM."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "1:could not start (certificate files missing or not matching, address in use)",
            "2:invalid usage (unknown flag, bad value or injection setting)",
            "143:stopped by SIGTERM, after a clean shutdown"
        })
final class WebhookCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--listen",
            paramLabel = "HOST:PORT",
            defaultValue = "0.0.0.0:15017",
            converter = AddressConverter.class,
            description = "Address to serve HTTPS on (default: ${DEFAULT-VALUE}).")
    private InetSocketAddress listen;

    @Option(
            names = "--tls-cert",
            required = true,
            paramLabel = "FILE",
            description = "The serving certificate chain (PEM, leaf first) for the webhook Service's DNS name;"
                    + " re-read when it changes.")
    private Path tlsCert;

    @Option(
            names = "--tls-key",
            required = true,
            paramLabel = "FILE",
            description = "The serving certificate's unencrypted private key (PEM).")
    private Path tlsKey;

    @Option(
            names = "--tls-wait",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Wait up to this long for the certificate files to appear (e.g. 5m) instead of failing.")
    private @Nullable Duration tlsWait;

    @Option(
            names = "--failure-policy",
            paramLabel = "POLICY",
            defaultValue = "Fail",
            converter = FailurePolicyConverter.class,
            description = "For a pod that cannot be injected (a bad annotation): Fail refuses it, Ignore admits it"
                    + " without the sidecar and with a warning (default: ${DEFAULT-VALUE}). Set it like the webhook"
                    + " configuration's failurePolicy.")
    private FailurePolicy failurePolicy;

    @Option(
            names = "--kubernetes-version",
            required = true,
            paramLabel = "VERSION",
            converter = InjectCommand.KubernetesVersionConverter.class,
            description = "The cluster's version, e.g. 1.30 or v1.30.2: from 1.29 the sidecar is injected as a native"
                    + " sidecar, before that as the first container.")
    private KubernetesVersion kubernetesVersion;

    @Option(
            names = "--max-body-size",
            paramLabel = "BYTES",
            defaultValue = "1048576",
            description = "Largest AdmissionReview accepted; larger ones get 413 (default: ${DEFAULT-VALUE}).")
    private int maxBodySize;

    @Mixin
    private InjectCommand.InjectionOptions injection;

    @Override
    public Integer call() throws InterruptedException, SSLException {
        PrintWriter out = spec.commandLine().getOut();
        // The settings first: a bad chart value is a usage error now, not after the wait for the certificate.
        SidecarInjector injector = new SidecarInjector(injection.config(spec));
        WebhookServerConfig config;
        try {
            config = WebhookServerConfig.listeningOn(listen).withMaxBodyBytes(maxBodySize);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--max-body-size: " + e.getMessage(), e);
        }
        if (tlsWait != null) {
            awaitFiles(tlsWait, tlsCert, tlsKey);
        }
        ServingCertificate certificate = ServingCertificate.load(tlsCert, tlsKey);
        AdmissionReviewHandler handler =
                new AdmissionReviewHandler(injector, ClusterVersionSource.fixed(kubernetesVersion), failurePolicy);
        WebhookServer server = WebhookServer.start(config, certificate, handler);
        Thread stopper = new Thread(server::close, "palisade-webhook-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);
        out.printf(
                Locale.ROOT,
                "palisade webhook: listening on https://%s (Kubernetes %s, failure policy %s, certificate expires"
                        + " %s)%n",
                format(server.localAddress()),
                kubernetesVersion,
                failurePolicy,
                certificate.certificate().getNotAfter().toInstant());
        out.flush();
        server.awaitClosed();
        return 0;
    }

    private static void awaitFiles(Duration timeout, Path... files) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!allExist(files)) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the certificate files did not appear within "
                        + DurationConverter.format(timeout) + ": " + String.join(", ", names(files)));
            }
            Thread.sleep(500);
        }
    }

    private static boolean allExist(Path... files) {
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                return false;
            }
        }
        return true;
    }

    private static String[] names(Path... files) {
        String[] names = new String[files.length];
        for (int i = 0; i < files.length; i++) {
            names[i] = files[i].toString();
        }
        return names;
    }

    private static String format(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** {@code Fail} or {@code Ignore}. */
    static final class FailurePolicyConverter implements ITypeConverter<FailurePolicy> {
        @Override
        public FailurePolicy convert(String value) {
            try {
                return FailurePolicy.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(String.valueOf(e.getMessage()));
            }
        }
    }
}
