package dev.palisade.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.palisade.cli.demo.DemoClient;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code palisade demo-call}: a call as a demo app makes it, from wherever the process runs — which is the point in
 * network-namespace mode, where the demo and the tests start it with {@code ip netns exec}, so that the call is
 * captured like the app's own (hidden: the demo starts it). Prints the outcome as one JSON line; exit code 0 when the
 * call was made, whatever it answered. {@code --serve} makes it an agent that reads requests from stdin ({@link
 * DemoClient}).
 */
@Command(
        name = "demo-call",
        hidden = true,
        description = "Make one call as a demo app would and print the outcome as JSON (started by 'palisade demo').")
final class DemoCallCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    private CommandSpec spec;

    @ArgGroup(multiplicity = "1")
    private Call call;

    static final class Call {
        @Option(names = "--url", paramLabel = "URL", description = "GET this URL (HTTP/1.1).")
        @Nullable
        String url;

        @Option(names = "--grpc-charge", paramLabel = "HOST:PORT", description = "payments.v1.Payments/Charge.")
        @Nullable
        String charge;

        @Option(names = "--grpc-watch", paramLabel = "HOST:PORT", description = "payments.v1.Payments/Watch.")
        @Nullable
        String watch;

        @Option(
                names = "--plaintext",
                paramLabel = "HOST:PORT",
                description = "Send a raw plaintext GET and report whether anything answered.")
        @Nullable
        String plaintext;

        @Option(names = "--serve", description = "Read JSON requests from stdin, one per line, until its end.")
        boolean serve;
    }

    @Option(names = "--header", paramLabel = "NAME:VALUE", description = "A request header for --url (repeatable).")
    private List<String> headers = new ArrayList<>();

    @Option(
            names = "--path",
            paramLabel = "PATH",
            defaultValue = "/",
            description = "The request path for --plaintext (default: ${DEFAULT-VALUE}).")
    private String path;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        DemoClient client = new DemoClient();
        if (call.serve) {
            client.serve(System.in, out);
            return 0;
        }
        ObjectNode request = JSON.createObjectNode();
        if (call.url != null) {
            request.put("op", "http").put("url", call.url);
            ObjectNode h = request.putObject("headers");
            for (String header : headers) {
                int colon = header.indexOf(':');
                if (colon <= 0) {
                    throw new ParameterException(spec.commandLine(), "--header '" + header + "' (expected NAME:VALUE)");
                }
                h.put(
                        header.substring(0, colon).strip(),
                        header.substring(colon + 1).strip());
            }
        } else if (call.charge != null) {
            request.put("op", "charge").put("target", call.charge);
        } else if (call.watch != null) {
            request.put("op", "watch").put("target", call.watch);
        } else {
            request.put("op", "plaintext").put("target", call.plaintext).put("path", path);
        }
        ObjectNode answer = client.handle(request);
        out.println(JSON.writeValueAsString(answer));
        out.flush();
        return answer.has("error") ? 1 : 0;
    }
}
