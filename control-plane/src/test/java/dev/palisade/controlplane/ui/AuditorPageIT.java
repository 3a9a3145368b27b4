package dev.palisade.controlplane.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.DryRunVerdict;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The auditor's page (control-plane README "The auditor's page") in Debian's headless Chromium, driven by Selenium
 * through Debian's chromedriver, against a real local-mode control plane with an admin token whose flows came through
 * the ALS collector over mTLS: the token prompt, the graph's nodes, edges and colours, an edge's flows, the filters and
 * paging, a flow path that is markup staying text, a newly shipped flow appearing live, the policies and integrity
 * views. Screenshots of each view go to {@code target/ui-screenshots/}.
 *
 * <p>Skipped (assumption) only when {@code /usr/bin/chromium} or {@code /usr/bin/chromedriver} is missing;
 * {@code .ci/run} installs both.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditorPageIT {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target/ui-screenshots");
    static final Duration WAIT = Duration.ofSeconds(10);
    static final String TOKEN = "auditor-page-it-token-0123456789";

    static final String FRONTEND = RecordedMesh.id("shop", "frontend");
    static final String ORDERS = RecordedMesh.id("shop", "orders");
    static final String PAYMENTS = RecordedMesh.id("shop", "payments");
    static final String BATCH = RecordedMesh.id("jobs", "batch");
    static final String PLAINTEXT = "unauthenticated";
    /** A path a caller chose: markup that would run script if the page put it into innerHTML. */
    static final String XSS_PATH = "/orders/<img src=x onerror=\"window.__xss=1\">";

    static final String GREEN = "rgb(46, 157, 68)";
    static final String RED = "rgb(215, 38, 61)";
    static final String AMBER = "rgb(230, 155, 0)";
    static final String PURPLE = "rgb(142, 68, 173)";
    static final String GREY = "rgb(138, 143, 152)";

    /** source|destination|decision|count of every edge the recorded flows make. */
    static final Set<String> EDGES = Set.of(
            FRONTEND + "|" + ORDERS + "|allow|61",
            FRONTEND + "|" + ORDERS + "|deny|3",
            FRONTEND + "|" + ORDERS + "|audit|2",
            PLAINTEXT + "|" + ORDERS + "|none|4",
            ORDERS + "|" + PAYMENTS + "|allow|5",
            BATCH + "|" + PAYMENTS + "|dry-run-deny|2");

    RecordedMesh mesh;
    Path profile;
    Path downloads;
    ChromeDriverService service;
    WebDriver driver;
    WebDriverWait wait;
    long nextMillis;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        assumeTrue(
                Files.isExecutable(CHROMIUM),
                CHROMIUM + " is missing: install Debian's chromium package (.ci/run does) to run the browser test");
        assumeTrue(
                Files.isExecutable(CHROMEDRIVER),
                CHROMEDRIVER + " is missing: install Debian's chromium-driver package (.ci/run does)");
        mesh = new RecordedMesh(
                dir.resolve("cp"),
                Map.of(
                        "orders-health.yaml",
                        """
                        apiVersion: security.palisade.dev/v1
                        kind: AuthorizationPolicy
                        metadata: {name: orders-health, namespace: shop}
                        spec:
                          selector: {matchLabels: {app: orders}}
                          action: ALLOW
                          rules:
                          - from: [{source: {principals: ["spiffe://demo.local/ns/shop/sa/frontend"]}}]
                            to: [{operation: {methods: ["GET"], paths: ["/healthz"]}}]
                        """),
                List.of("shop/orders", "shop/payments"),
                TOKEN);
        recordFlows();
        mesh.ship();

        // Debian's chromedriver and chromium, named explicitly: Selenium Manager never looks for or downloads one.
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        profile = Files.createDirectories(dir.resolve("chromium-profile"));
        downloads = Files.createDirectories(dir.resolve("downloads"));
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.setExperimentalOption(
                "prefs",
                Map.of(
                        "download.default_directory",
                        downloads.toAbsolutePath().toString(),
                        "download.prompt_for_download",
                        false));
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--window-size=1400,900",
                "--user-data-dir=" + profile.toAbsolutePath());
        service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
        wait = new WebDriverWait(driver, WAIT);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (service != null) {
            service.stop();
        }
        if (mesh != null) {
            mesh.close();
        }
    }

    // ---- the recorded mesh --------------------------------------------------------------------------------------

    /** 77 records over the last five minutes: see {@link #EDGES}. */
    void recordFlows() {
        nextMillis = Instant.now().minus(Duration.ofMinutes(5)).toEpochMilli();
        for (int i = 0; i < 60; i++) {
            mesh.record(http(FRONTEND, ORDERS, "GET", "/orders/" + i, 200, Decision.ALLOW, "shop/orders", 0)
                    .build());
        }
        for (int i = 0; i < 3; i++) {
            mesh.record(http(FRONTEND, ORDERS, "GET", "/admin/users/" + i, 403, Decision.DENY, "shop/deny-admin", 0)
                    .build());
        }
        for (int i = 0; i < 2; i++) {
            mesh.record(http(FRONTEND, ORDERS, "GET", "/orders/audited/" + i, 200, Decision.ALLOW, "shop/orders", 0)
                    .addAuditPolicies("shop/audit-orders")
                    .build());
        }
        mesh.record(http(FRONTEND, ORDERS, "GET", XSS_PATH, 200, Decision.ALLOW, "shop/orders", 0)
                .build());
        for (int i = 0; i < 4; i++) {
            // A caller without mTLS (PERMISSIVE would let it in; STRICT rejects it before authorization).
            mesh.record(http("", ORDERS, "GET", "/orders", 0, Decision.DECISION_UNSPECIFIED, "", -1)
                    .setRejectionReason("plaintext")
                    .build());
        }
        for (int i = 0; i < 5; i++) {
            mesh.record(http(
                            ORDERS,
                            PAYMENTS,
                            "POST",
                            "/payments.v1.Payments/Charge",
                            200,
                            Decision.ALLOW,
                            "shop/payments",
                            0)
                    .setProtocol(Protocol.GRPC)
                    .build());
        }
        for (int i = 0; i < 2; i++) {
            mesh.record(http(BATCH, PAYMENTS, "POST", "/payments.v1.Payments/Refund", 200, Decision.ALLOW, "", -1)
                    .setProtocol(Protocol.GRPC)
                    .setDryRun(DryRunVerdict.DRY_RUN_WOULD_DENY)
                    .setDryRunPolicy("shop/payments-tight")
                    .build());
        }
    }

    FlowRecord.Builder http(
            String source,
            String destination,
            String method,
            String path,
            int status,
            Decision decision,
            String policy,
            int rule) {
        nextMillis += 100;
        return FlowRecord.newBuilder()
                .setStartUnixNanos(nextMillis * 1_000_000L)
                .setDurationNanos(1_500_000)
                .setSourceId(source)
                .setDestinationId(destination)
                .setSourceAddress("127.0.0.11")
                .setSourcePort(40_000)
                .setDestinationAddress("127.0.0.12")
                .setDestinationPort(8080)
                .setProtocol(Protocol.HTTP1)
                .setMethod(method)
                .setPath(path)
                .setStatus(status)
                .setDecision(decision)
                .setPolicy(policy)
                .setRule(rule);
    }

    // ---- the page -----------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void withATokenConfiguredTheApiAnswers401AndThePageAsksForItRefusingAWrongOne() throws Exception {
        assertThat(mesh.status("/api/graph")).as("the API without the token").isEqualTo(401);
        assertThat(mesh.status("/ui/")).as("the static page needs no token").isEqualTo(200);

        driver.get(mesh.adminUrl() + "/ui/#graph");
        WebElement overlay = driver.findElement(By.id("token-overlay"));
        wait.until(d -> overlay.isDisplayed());
        assertThat(nodes()).as("no data before the token").isEmpty();

        enterToken("wrong-token-0123456789-abcdef");
        wait.until(d -> overlay.isDisplayed() && text(By.id("token-reason")).contains("refused"));
        assertThat(nodes()).as("no data with a wrong token").isEmpty();

        enterToken(TOKEN);
        wait.until(d -> !overlay.isDisplayed() && !nodes().isEmpty());
        assertThat(js("return sessionStorage.getItem('palisade.adminToken')")).isEqualTo(TOKEN);
    }

    @Test
    @Order(2)
    void theGraphHasEveryWorkloadAndOneColouredEdgePerSourceDestinationAndDecision() throws Exception {
        open("graph");
        wait.until(d -> edges().size() >= EDGES.size());

        Set<String> nodeIds = new HashSet<>();
        for (WebElement n : nodes()) {
            nodeIds.add(n.getAttribute("data-id"));
        }
        assertThat(nodeIds).containsExactlyInAnyOrder(FRONTEND, ORDERS, PAYMENTS, BATCH, PLAINTEXT);

        Set<String> seen = new HashSet<>();
        Set<String> domIds = new HashSet<>();
        for (WebElement e : edges()) {
            seen.add(e.getAttribute("data-source") + "|" + e.getAttribute("data-destination") + "|"
                    + e.getAttribute("data-decision") + "|" + e.getAttribute("data-count"));
            domIds.add(e.getAttribute("id"));
        }
        assertThat(seen).isEqualTo(EDGES);
        assertThat(domIds).as("a distinct DOM id per edge").hasSize(EDGES.size());

        assertThat(stroke(FRONTEND, ORDERS, "allow")).isEqualTo(GREEN);
        assertThat(stroke(FRONTEND, ORDERS, "deny")).isEqualTo(RED);
        assertThat(stroke(FRONTEND, ORDERS, "audit")).isEqualTo(AMBER);
        assertThat(stroke(PLAINTEXT, ORDERS, "none")).isEqualTo(GREY);
        assertThat(stroke(ORDERS, PAYMENTS, "allow")).isEqualTo(GREEN);
        assertThat(stroke(BATCH, PAYMENTS, "dry-run-deny")).isEqualTo(PURPLE);
        assertThat(line(BATCH, PAYMENTS, "dry-run-deny").getCssValue("stroke-dasharray"))
                .as("dry-run deny is dashed")
                .isNotEqualTo("none");
        // Width by volume: 61 records draw a wider line than 3.
        assertThat(Double.parseDouble(line(FRONTEND, ORDERS, "allow").getAttribute("stroke-width")))
                .isGreaterThan(Double.parseDouble(line(FRONTEND, ORDERS, "deny").getAttribute("stroke-width")));

        // The three edges between frontend and orders are drawn apart, not on top of each other.
        List<double[]> mids = new ArrayList<>();
        for (String decision : List.of("allow", "deny", "audit")) {
            mids.add(midpoint(edge(FRONTEND, ORDERS, decision)));
        }
        for (int i = 0; i < mids.size(); i++) {
            for (int j = i + 1; j < mids.size(); j++) {
                assertThat(Math.hypot(mids.get(i)[0] - mids.get(j)[0], mids.get(i)[1] - mids.get(j)[1]))
                        .as("distance between parallel edges %d and %d", i, j)
                        .isGreaterThan(6);
            }
        }

        // The plaintext caller stands out: its own shape and colour, and a "no mTLS" label.
        WebElement plaintext = driver.findElement(By.cssSelector("#graph-svg .node[data-id='unauthenticated']"));
        assertThat(plaintext.getAttribute("data-kind")).isEqualTo("plaintext");
        assertThat(plaintext.findElements(By.cssSelector("polygon.plaintext-shape")))
                .hasSize(1);
        assertThat(plaintext.findElement(By.cssSelector("polygon")).getCssValue("fill"))
                .isEqualTo("rgb(244, 96, 54)");
        assertThat(plaintext.getText()).contains("no mTLS");
        screenshot("graph");
    }

    @Test
    @Order(3)
    void clickingAnEdgeListsItsRulesAndItsFlows() throws Exception {
        open("graph");
        wait.until(d -> edges().size() >= EDGES.size());
        WebElement deny = edge(FRONTEND, ORDERS, "deny");
        double[] mid = midpoint(deny);
        // A real click at the middle of the drawn line; what is under that point must be this edge.
        assertThat(js(
                        "return document.elementFromPoint(arguments[0], arguments[1]).closest('.edge').id",
                        mid[0],
                        mid[1]))
                .isEqualTo(deny.getAttribute("id"));
        new Actions(driver).moveToLocation((int) mid[0], (int) mid[1]).click().perform();

        WebElement panel = driver.findElement(By.id("edge-panel"));
        wait.until(d -> "true".equals(panel.getAttribute("data-loaded")));
        assertThat(panel.getAttribute("data-edge"))
                .isEqualTo(deny.getAttribute("id").substring("edge-".length()));
        assertThat(text(By.id("edge-source"))).isEqualTo(FRONTEND);
        assertThat(text(By.id("edge-destination"))).isEqualTo(ORDERS);
        assertThat(text(By.id("edge-decision"))).isEqualTo("deny");
        List<String> rules = new ArrayList<>();
        for (WebElement row : driver.findElements(By.cssSelector("#edge-rules tbody tr"))) {
            rules.add(row.getText());
        }
        // Only what decided this edge's class: the DENY policy, not the ALLOW policy of the pair's other edges.
        assertThat(rules).isNotEmpty().allSatisfy(r -> assertThat(r).contains("shop/deny-admin"));
        // The edge's 3 flows (frontend → orders has 66 in all classes), each a deny.
        List<WebElement> flows = driver.findElements(By.cssSelector("#edge-flows tbody tr"));
        assertThat(flows).hasSize(3).allSatisfy(row -> assertThat(row.getText()).contains("deny"));
        assertThat(driver.findElements(By.cssSelector("#edge-flows tbody tr td.path")))
                .allSatisfy(td -> assertThat(td.getText()).startsWith("/"));
        screenshot("graph-edge");
    }

    @Test
    @Order(4)
    void filtersNarrowTheTableAndPagingWalksForwardAndBack() throws Exception {
        open("flows");
        wait.until(d -> flowRows().size() == 77);

        setFilter("f-decision", "deny");
        wait.until(d -> flowRows().size() == 3);
        assertThat(columnTexts(7)).allSatisfy(t -> assertThat(t).isEqualTo("shop/deny-admin #0"));

        new Select(driver.findElement(By.id("f-decision"))).selectByValue("");
        setText("f-from", PLAINTEXT);
        submitFilters();
        wait.until(d -> flowRows().size() == 4);
        assertThat(columnTexts(1)).allSatisfy(t -> assertThat(t).isEqualTo("unauthenticated"));

        setText("f-from", FRONTEND);
        new Select(driver.findElement(By.id("f-limit"))).selectByValue("50");
        submitFilters();
        wait.until(d -> flowRows().size() == 50);
        String firstOfPageOne = flowRows().get(0).getText();
        assertThat(driver.findElement(By.id("flows-prev")).isEnabled()).isFalse();
        driver.findElement(By.id("flows-next")).click();
        wait.until(d -> flowRows().size() == 16);
        assertThat(text(By.id("flows-page"))).isEqualTo("page 2");
        assertThat(driver.findElement(By.id("flows-next")).isEnabled()).isFalse();
        driver.findElement(By.id("flows-prev")).click();
        wait.until(d -> flowRows().size() == 50);
        assertThat(flowRows().get(0).getText()).isEqualTo(firstOfPageOne);
        screenshot("flows");

        // Export: fetched with the token, saved from a Blob; the file holds every flow the filters select (66).
        driver.findElement(By.id("flows-export-csv")).click();
        Path csv = downloads.resolve("flows.csv");
        wait.until(d -> Files.isRegularFile(csv) && text(By.id("status")).startsWith("exported flows.csv"));
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines.get(0)).as("the header").doesNotContain("spiffe://");
        assertThat(lines.subList(1, lines.size())).hasSize(66).allSatisfy(l -> assertThat(l)
                .contains(FRONTEND));
    }

    @Test
    @Order(5)
    void aPathThatIsMarkupShowsAsTextAndRunsNoScript() throws Exception {
        open("flows");
        driver.findElement(By.id("flows-reset")).click();
        setText("f-path", "/orders/<img");
        submitFilters();
        wait.until(d -> flowRows().size() == 1);
        WebElement cell = driver.findElement(By.cssSelector("#flows-body tr td.path"));
        assertThat(cell.getText()).isEqualTo(XSS_PATH);
        assertThat(driver.findElements(By.cssSelector("#flows-body img, #edge-flows img")))
                .as("no element made of a flow's path")
                .isEmpty();
        assertThat(js("return window.__xss === undefined")).isEqualTo(true);

        // The edge panel shows the same path as text too.
        open("graph");
        wait.until(d -> edges().size() >= EDGES.size());
        edge(FRONTEND, ORDERS, "allow").sendKeys(Keys.ENTER);
        wait.until(d -> "true".equals(driver.findElement(By.id("edge-panel")).getAttribute("data-loaded")));
        assertThat(driver.findElements(By.cssSelector("#edge-panel img"))).isEmpty();
        assertThat(js("return window.__xss === undefined")).isEqualTo(true);
    }

    @Test
    @Order(6)
    void aNewlyShippedFlowAppearsInTheLiveTableWithoutAReload() throws Exception {
        open("flows");
        driver.findElement(By.id("flows-reset")).click();
        driver.findElement(By.id("flows-live")).click();
        wait.until(d -> String.valueOf(js("return document.body.getAttribute('data-live')"))
                .startsWith("live:"));
        int before = flowRows().size();
        assertThat(before).isPositive();
        js("window.__sameDocument = 42");

        String path = "/orders/live-" + System.nanoTime();
        nextMillis = Instant.now().toEpochMilli();
        mesh.record(http(FRONTEND, ORDERS, "GET", path, 200, Decision.ALLOW, "shop/orders", 0)
                .build());
        long shipped = System.nanoTime();
        mesh.ship();
        wait.until(d -> !flowRows().isEmpty()
                && flowRows()
                        .get(0)
                        .findElement(By.cssSelector("td.path"))
                        .getText()
                        .equals(path));
        long millis = (System.nanoTime() - shipped) / 1_000_000;
        assertThat(js("return window.__sameDocument"))
                .as("the page was not reloaded")
                .isEqualTo(42L);
        assertThat(flowRows()).hasSize(before + 1);
        assertThat(millis).as("shipped to shown, ms").isLessThan(WAIT.toMillis());
        System.out.println("AuditorPageIT: a shipped flow was shown live after " + millis + " ms");
        screenshot("flows-live");

        driver.findElement(By.id("flows-pause")).click();
        assertThat(js("return document.body.getAttribute('data-live')")).isEqualTo("paused");
        driver.findElement(By.id("flows-live")).click();
    }

    @Test
    @Order(7)
    void policiesShowEachRulesStatusAndHitsAndMarkRulesThatNeverMatched() throws Exception {
        open("policies");
        wait.until(
                d -> !d.findElements(By.cssSelector("#policies-list .workload")).isEmpty());
        WebElement orders = driver.findElement(By.cssSelector("#policies-list .workload[data-workload='shop/orders']"));
        List<WebElement> health = orders.findElements(By.cssSelector("tr[data-policy*='orders-health']"));
        assertThat(health).hasSize(1);
        assertThat(health.get(0).getAttribute("data-never-matched")).isEqualTo("true");
        assertThat(health.get(0).getText()).contains("never matched");
        List<WebElement> allow = orders.findElements(By.cssSelector("tr[data-policy$='orders'][data-rule='0']"));
        assertThat(allow).hasSize(1);
        assertThat(allow.get(0).getAttribute("data-never-matched")).isEqualTo("false");
        assertThat(allow.get(0).getText()).doesNotContain("never matched");
        screenshot("policies");
    }

    @Test
    @Order(8)
    void integrityShowsEachSidecarsChainWhole() throws Exception {
        open("integrity");
        // The server verifies in the background: the page shows "verifying…" and asks again until both are done.
        try {
            wait.until(d -> d.findElements(By.cssSelector("#integrity-body tr[data-pending='false']"))
                            .size()
                    == 2);
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError(
                    "still pending; /api/integrity: "
                            + js("const x = new XMLHttpRequest();"
                                    + "x.open('GET', '/api/integrity', false);"
                                    + "x.setRequestHeader('Authorization', 'Bearer ' + sessionStorage.getItem('palisade.adminToken'));"
                                    + "x.send(); return x.responseText;")
                            + "; page: " + text(By.id("integrity-body")),
                    e);
        }
        screenshot("integrity");
        for (String sidecar : List.of(ORDERS, PAYMENTS)) {
            WebElement row = driver.findElement(By.cssSelector("#integrity-body tr[data-sidecar='" + sidecar + "']"));
            assertThat(row.getAttribute("data-state")).as(row.getText()).isEqualTo("whole");
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /** Shows a view by its tab, as a user would (the token is in sessionStorage from the first test). */
    void open(String view) {
        if (!driver.getCurrentUrl().startsWith(mesh.adminUrl() + "/ui/")) {
            driver.get(mesh.adminUrl() + "/ui/#" + view);
        }
        driver.findElement(By.id("tab-" + view)).click();
        wait.until(d -> driver.findElement(By.id("view-" + view)).isDisplayed());
        assertThat(driver.findElement(By.id("token-overlay")).isDisplayed()).isFalse();
    }

    void enterToken(String token) {
        WebElement input = driver.findElement(By.id("token-input"));
        input.clear();
        input.sendKeys(token);
        driver.findElement(By.id("token-submit")).click();
    }

    List<WebElement> nodes() {
        return driver.findElements(By.cssSelector("#graph-svg .node"));
    }

    List<WebElement> edges() {
        return driver.findElements(By.cssSelector("#graph-svg .edge"));
    }

    WebElement edge(String source, String destination, String decision) {
        for (WebElement e : edges()) {
            if (source.equals(e.getAttribute("data-source"))
                    && destination.equals(e.getAttribute("data-destination"))
                    && decision.equals(e.getAttribute("data-decision"))) {
                return e;
            }
        }
        throw new AssertionError("no edge " + source + " -> " + destination + " (" + decision + ")");
    }

    WebElement line(String source, String destination, String decision) {
        return edge(source, destination, decision).findElement(By.cssSelector("path.line"));
    }

    String stroke(String source, String destination, String decision) {
        return line(source, destination, decision).getCssValue("stroke");
    }

    /** The middle of an edge's drawn line in viewport coordinates. */
    double[] midpoint(WebElement edge) {
        @SuppressWarnings("unchecked")
        List<Number> xy = (List<Number>) js(
                "const p = arguments[0].querySelector('path.line');"
                        + "const pt = p.getPointAtLength(p.getTotalLength() / 2);"
                        + "const m = p.getScreenCTM();"
                        + "return [pt.x * m.a + pt.y * m.c + m.e, pt.x * m.b + pt.y * m.d + m.f];",
                edge);
        return new double[] {xy.get(0).doubleValue(), xy.get(1).doubleValue()};
    }

    List<WebElement> flowRows() {
        return driver.findElements(By.cssSelector("#flows-body tr"));
    }

    List<String> columnTexts(int column) {
        List<String> out = new ArrayList<>();
        for (WebElement row : flowRows()) {
            out.add(row.findElements(By.tagName("td")).get(column).getText());
        }
        return out;
    }

    void setFilter(String id, String value) {
        new Select(driver.findElement(By.id(id))).selectByValue(value);
        submitFilters();
    }

    void setText(String id, String value) {
        WebElement input = driver.findElement(By.id(id));
        input.clear();
        input.sendKeys(value);
    }

    void submitFilters() {
        driver.findElement(By.id("flows-apply")).click();
    }

    String text(By by) {
        return driver.findElement(by).getText();
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    void screenshot(String name) throws IOException {
        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Files.write(SCREENSHOTS.resolve(name + ".png"), png);
    }
}
