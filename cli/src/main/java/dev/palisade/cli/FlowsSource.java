package dev.palisade.cli;

import dev.palisade.controlplane.config.AdminToken;
import dev.palisade.controlplane.flows.FlowApi;
import dev.palisade.controlplane.flows.FlowPage;
import dev.palisade.controlplane.flows.FlowQuery;
import dev.palisade.controlplane.flows.FlowRow;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.controlplane.flows.SummaryGroup;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.jspecify.annotations.Nullable;

/**
 * Where {@code palisade flows} and {@code palisade authz replay} read flow records: the control plane's flows HTTP
 * API, or a store file opened directly (read-only use; the control plane may be writing it: SQLite's WAL lets both).
 */
abstract class FlowsSource implements AutoCloseable {
    static final String DEFAULT_SERVER = "http://127.0.0.1:15014";

    abstract FlowPage page(FlowQuery query) throws IOException, InterruptedException;

    abstract List<SummaryGroup> summary(FlowQuery query) throws IOException, InterruptedException;

    @Override
    public void close() {}

    /** Up to {@code max} records matching {@code query}, following cursors. */
    List<FlowRow> rows(FlowQuery query, long max) throws IOException, InterruptedException {
        List<FlowRow> out = new ArrayList<>();
        String cursor = null;
        do {
            int pageSize = (int) Math.min(FlowQuery.MAX_LIMIT, max - out.size());
            FlowPage page = page(query.withPage(pageSize, cursor));
            out.addAll(page.flows());
            cursor = page.nextCursor();
        } while (cursor != null && out.size() < max);
        return out;
    }

    static FlowsSource of(@Nullable String server, @Nullable Path store, AdminTokenOption token)
            throws AuthzCheckCommand.BadInput {
        if (server != null && store != null) {
            throw new AuthzCheckCommand.BadInput("--server and --store exclude each other");
        }
        if (store != null) {
            if (token.tokenFile != null) {
                throw new AuthzCheckCommand.BadInput("--token-file applies to --server only");
            }
            if (!Files.isRegularFile(store)) {
                throw new AuthzCheckCommand.BadInput("--store: " + store + " is not a file");
            }
            return new Local(FlowStore.open(store, Clock.systemUTC()));
        }
        return new Remote(server == null ? DEFAULT_SERVER : server, token.resolve());
    }

    /** One line for a failed read: a refusal by the server says only what to do; anything else names its type. */
    static String describe(IOException e) {
        return e instanceof AccessRefused
                ? String.valueOf(e.getMessage())
                : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** The server answered 401 or 403: the message names the server and how to pass a token. */
    static final class AccessRefused extends IOException {
        private static final long serialVersionUID = 1L;

        AccessRefused(String message) {
            super(message);
        }
    }

    static final class Local extends FlowsSource {
        final FlowStore store;

        Local(FlowStore store) {
            this.store = store;
        }

        @Override
        FlowPage page(FlowQuery query) {
            return store.query(query);
        }

        @Override
        List<SummaryGroup> summary(FlowQuery query) {
            return store.summary(query);
        }

        @Override
        public void close() {
            store.close();
        }
    }

    static final class Remote extends FlowsSource {
        private final String base;
        private final @Nullable AdminToken token;
        private final HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        Remote(String server, @Nullable AdminToken token) {
            this.base = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
            this.token = token;
        }

        String get(String path, Map<String, String> parameters) throws IOException, InterruptedException {
            StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
            parameters.forEach((k, v) -> q.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
            URI uri;
            try {
                uri = URI.create(base + path + q);
            } catch (IllegalArgumentException e) {
                throw new IOException("--server: '" + base + "' is not a URL", e);
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60));
            if (token != null) {
                request.header("Authorization", token.authorizationHeader());
            }
            HttpResponse<String> response =
                    http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (response.statusCode() == 401 || response.statusCode() == 403) {
                throw refusal(base, response.statusCode(), token);
            }
            if (response.statusCode() != 200) {
                throw new IOException(uri + ": HTTP " + response.statusCode() + ": "
                        + response.body().strip());
            }
            return response.body();
        }

        static AccessRefused refusal(String base, int status, @Nullable AdminToken token) {
            if (status == 403) {
                return new AccessRefused(base + " refused this client (HTTP 403): without an admin token it answers"
                        + " loopback clients only; give the control plane --admin-token-file or $" + AdminToken.ENV
                        + " and pass the same token here with --token-file FILE or $" + AdminToken.ENV
                        + ", or connect through kubectl port-forward");
            }
            return token == null
                    ? new AccessRefused(base + " requires the admin token (HTTP 401): pass it with --token-file FILE"
                            + " or $" + AdminToken.ENV)
                    : new AccessRefused(base + " refused the admin token from " + token.source()
                            + " (HTTP 401): it is not the control plane's token");
        }

        @Override
        FlowPage page(FlowQuery query) throws IOException, InterruptedException {
            return FlowApi.parsePage(get("/api/flows", query.toParameters()));
        }

        @Override
        List<SummaryGroup> summary(FlowQuery query) throws IOException, InterruptedException {
            Map<String, String> p = new java.util.LinkedHashMap<>(query.toParameters());
            p.remove("limit");
            p.remove("cursor");
            return FlowApi.parseSummary(get("/api/flows/summary", p));
        }
    }
}
