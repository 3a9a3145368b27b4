package dev.palisade.cli;

import io.netty.channel.epoll.Epoll;
import io.netty.handler.ssl.OpenSsl;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code palisade version}: the build, the Java runtime, and whether Netty's native pieces load here.
 *
 * <p>The sidecar runs without them (NIO and the JDK's TLS), but slower and without {@code SO_ORIGINAL_DST}, so an
 * operator debugging a node wants to see at once whether epoll and BoringSSL (netty-tcnative) are usable, and if not,
 * why. Loading them is what answers the question: the first call to {@link Epoll#isAvailable()} or {@link
 * OpenSsl#isAvailable()} loads the native library.
 */
@Command(
        name = "version",
        description = "Print the version, the Java runtime, and whether native epoll and BoringSSL load.")
final class VersionCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("palisade " + BuildInfo.load().describe());
        line(
                out,
                "java",
                System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
                        + System.getProperty("java.vm.name") + ")");
        line(out, "os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        line(out, "epoll", availability(Epoll.isAvailable(), null, Epoll.unavailabilityCause()));
        line(out, "boringssl", availability(OpenSsl.isAvailable(), openSslVersion(), OpenSsl.unavailabilityCause()));
        out.flush();
        return 0;
    }

    private static void line(PrintWriter out, String key, String value) {
        out.println(String.format(Locale.ROOT, "  %-10s %s", key, value));
    }

    private static @Nullable String openSslVersion() {
        return OpenSsl.isAvailable() ? OpenSsl.versionString() : null;
    }

    static String availability(boolean available, @Nullable String detail, @Nullable Throwable cause) {
        if (available) {
            return detail == null ? "available" : "available (" + detail + ")";
        }
        return cause == null ? "unavailable" : "unavailable: " + FailureHandler.describe(rootCause(cause));
    }

    private static Throwable rootCause(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }
}
