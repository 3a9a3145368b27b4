package dev.palisade.controlplane.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.controlplane.config.AdminToken;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The auditor's page under {@code /ui/} on 127.0.0.1 with raw HTTP/1.1 (so that {@code ..}, {@code %2e} and
 * {@code %00} reach the server as written), served from the test fixture directory
 * {@code dev/palisade/controlplane/uitest/}, which also holds files that must never be served ({@code .hidden},
 * {@code x.class}, {@code APP.js}, {@code a/b.js}, {@code notes.txt}) so that a 404 for them means refused, not absent.
 */
@Timeout(30)
class StaticPageIT {
    static final String TOKEN = "it-admin-token-0123456789abcdef";
    static final String FIXTURES = "dev/palisade/controlplane/uitest/";
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    AdminServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @AfterAll
    static void shutdown() {
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    // ---- negative cases ---------------------------------------------------------------------------------------------

    @Test
    void theFixtureFilesThatMustNotBeServedExist() {
        ClassLoader loader = getClass().getClassLoader();
        for (String name : new String[] {".hidden", ".hidden.js", "x.class", "APP.js", "a/b.js", "notes.txt"}) {
            assertThat(loader.getResource(FIXTURES + name)).as(name).isNotNull();
        }
        assertThat(loader.getResource("dev/palisade/controlplane/x")).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/ui/../x",
                "/ui/%2e%2e/x",
                "/ui/%2E%2E/x",
                "/ui/..%2fx",
                "/ui/a/b.js",
                "/ui/a%2fb.js",
                "/ui/.hidden",
                "/ui/.hidden.js",
                "/ui/x.class",
                "/ui/index.html%00.js",
                "/ui/index.html%00",
                "/ui/APP.js",
                "/ui/Index.html",
                "/ui/INDEX.HTML",
                "/ui/notes.txt",
                "/ui/missing.js",
                "/ui/index.html/",
                "/ui//index.html",
                "/ui/index.html;x",
                "/ui/app.js.map",
                "/ui/-app.js",
                "/ui/%61pp.jsx",
                "/ui/app%20.js",
                "/ui/..",
                "/ui/."
            })
    void namesOutsideTheAllowedFormOrNotPresentAre404(String path) throws Exception {
        start(AdminAccess.of(AdminToken.parse(TOKEN, "test")));
        String response = get(path);
        assertThat(response).as(path).startsWith("HTTP/1.1 404 ");
        assertThat(response)
                .as(path)
                .doesNotContain("secret", "hidden js", "nested", "upper", "not served", "outside", "txt\n");
        assertThat(response).containsIgnoringCase("x-content-type-options: nosniff");
    }

    @Test
    void writesToThePageAre405() throws Exception {
        start(AdminAccess.of(AdminToken.parse(TOKEN, "test")));
        for (String method : new String[] {"POST", "PUT", "DELETE"}) {
            assertThat(request(method, "/ui/index.html", "")).as(method).startsWith("HTTP/1.1 405 ");
        }
    }

    @Test
    void withATokenThePageIsOpenButTheApiIsNot() throws Exception {
        start(AdminAccess.of(AdminToken.parse(TOKEN, "test")));
        assertThat(get("/ui/")).startsWith("HTTP/1.1 200 ").contains("fixture index");
        assertThat(get("/api/graph")).startsWith("HTTP/1.1 401 ");
        assertThat(get("/api/graph", "Authorization: Bearer " + TOKEN)).startsWith("HTTP/1.1 200 ");
        // A path under /ui/ is the page's whatever follows: it never reaches an API endpoint.
        assertThat(get("/ui%2f../api/graph")).startsWith("HTTP/1.1 404 ").doesNotContain("nodes");
        assertThat(get("/ui/../api/graph")).startsWith("HTTP/1.1 404 ").doesNotContain("nodes");
        assertThat(get("/UI/")).startsWith("HTTP/1.1 401 ");
    }

    // ---- positive cases ---------------------------------------------------------------------------------------------

    @Test
    void uiWithoutTheSlashRedirects() throws Exception {
        start(AdminAccess.loopbackOnly());
        String response = get("/ui");
        assertThat(response).startsWith("HTTP/1.1 301 ").containsIgnoringCase("location: /ui/\r\n");
    }

    @Test
    void filesAreServedWithTheirTypesAndTheSecurityHeaders() throws Exception {
        start(AdminAccess.loopbackOnly());
        String index = get("/ui/");
        assertThat(index)
                .startsWith("HTTP/1.1 200 ")
                .containsIgnoringCase("content-type: text/html; charset=utf-8\r\n")
                .containsIgnoringCase("content-security-policy: default-src 'self'; img-src 'self' data:;"
                        + " style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'\r\n")
                .containsIgnoringCase("x-content-type-options: nosniff\r\n")
                .containsIgnoringCase("referrer-policy: no-referrer\r\n")
                .containsIgnoringCase("cache-control: no-cache\r\n")
                .endsWith("<script src=\"app.js\"></script>\n");
        assertThat(get("/ui/index.html")).endsWith(index.substring(index.indexOf("\r\n\r\n")));
        assertThat(get("/ui/app.js"))
                .startsWith("HTTP/1.1 200 ")
                .containsIgnoringCase("content-type: text/javascript; charset=utf-8\r\n")
                .endsWith("console.log(\"fixture app\");\n");
        assertThat(get("/ui/app.css")).containsIgnoringCase("content-type: text/css; charset=utf-8\r\n");
        assertThat(get("/ui/logo.svg")).containsIgnoringCase("content-type: image/svg+xml\r\n");
        assertThat(get("/ui/%61pp.js")).startsWith("HTTP/1.1 200 ");
        assertThat(get("/ui/app.js?v=2")).startsWith("HTTP/1.1 200 ");
        String head = request("HEAD", "/ui/app.js", "");
        assertThat(head)
                .startsWith("HTTP/1.1 200 ")
                .containsIgnoringCase("content-length: 28\r\n")
                .endsWith("\r\n\r\n");
    }

    @Test
    void theDefaultDirectoryIsTheControlPlanesResources() {
        assertThat(StaticFiles.DEFAULT_DIRECTORY).isEqualTo("dev/palisade/controlplane/ui/");
        assertThat(StaticFiles.ofDefault().resolve("/ui/../uitest/index.html")).isEmpty();
        assertThat(StaticFiles.of(FIXTURES).resolve("/ui/")).isPresent();
        assertThat(StaticFiles.of(FIXTURES).resolve("/api/flows")).isEmpty();
    }

    private void start(AdminAccess access) throws InterruptedException {
        Map<String, AdminServer.Endpoint> endpoints =
                Map.of("/api/graph", new AdminServer.Endpoint("application/json", () -> "{\"nodes\":[]}"));
        server = AdminServer.start(
                GROUP,
                new InetSocketAddress("127.0.0.1", 0),
                () -> true,
                new ControlPlaneMetrics(),
                endpoints,
                access,
                StaticFiles.of(FIXTURES));
    }

    private String get(String path, String... headers) throws IOException {
        return request("GET", path, String.join("\r\n", headers));
    }

    private String request(String method, String path, String headers) throws IOException {
        try (Socket socket =
                new Socket(server.address().getAddress(), server.address().getPort())) {
            socket.setSoTimeout(10_000);
            String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    + (headers.isEmpty() ? "" : headers + "\r\n")
                    + (method.equals("POST") || method.equals("PUT") ? "Content-Length: 0\r\n" : "")
                    + "\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
