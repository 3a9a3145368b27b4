package dev.palisade.controlplane.policy;

import static dev.palisade.controlplane.policy.TestYaml.authz;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class PolicyDirectoryWatcherTest {

    private static final Duration WITHIN = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    private final Events events = new Events();

    @Test
    void keepsTheLastGoodSetWhileAFileIsBadThenLoadsTheFix() throws IOException {
        write("shop.yaml", authz("action: ALLOW"));
        write("other.yaml", authz("action: DENY").replace("name: p", "name: q"));

        try (PolicyDirectoryWatcher watcher = PolicyDirectoryWatcher.start(
                new PolicyDirectory(dir), events, Duration.ofMillis(50), Duration.ofMillis(500))) {
            await().atMost(WITHIN).until(() -> events.sets.size() == 1);
            PolicySet first = events.sets.get(0);
            assertThat(first.authorizationPolicies()).hasSize(2);

            write("shop.yaml", authz("action: ALOW"));

            await().atMost(WITHIN).until(() -> events.errors.size() == 1);
            assertThat(events.errors.get(0).errors())
                    .map(Throwable::getMessage)
                    .containsExactly(
                            dir.resolve("shop.yaml") + ": document 1 (AuthorizationPolicy shop/p): spec.action:"
                                    + " 'ALOW': unknown action (expected ALLOW, DENY or AUDIT, in upper case)");
            assertThat(events.sets).hasSize(1);
            assertThat(watcher.lastGood()).contains(first);

            write("shop.yaml", authz("action: AUDIT"));

            await().atMost(WITHIN).until(() -> events.sets.size() == 2);
            PolicySet fixed = events.sets.get(1);
            assertThat(fixed.version()).isNotEqualTo(first.version());
            assertThat(fixed.authorizationPolicies())
                    .extracting(AuthorizationPolicy::action)
                    .containsExactly(PolicyAction.AUDIT, PolicyAction.DENY);
            assertThat(watcher.lastGood()).contains(fixed);
            assertThat(events.errors).hasSize(1);
        }
    }

    @Test
    void reportsAnUnchangedDirectoryOnlyOnceWhilePolling() throws IOException, InterruptedException {
        write("shop.yaml", authz("{}"));

        try (PolicyDirectoryWatcher watcher = PolicyDirectoryWatcher.start(
                new PolicyDirectory(dir), events, Duration.ofMillis(20), Duration.ofMillis(50))) {
            await().atMost(WITHIN).until(() -> events.sets.size() == 1);
            Thread.sleep(400); // eight polls

            assertThat(events.sets).hasSize(1);
            assertThat(events.errors).isEmpty();
        }
    }

    @Test
    void noticesANewFileInANewSubdirectory() throws IOException {
        try (PolicyDirectoryWatcher watcher = PolicyDirectoryWatcher.start(
                new PolicyDirectory(dir), events, Duration.ofMillis(50), Duration.ofSeconds(30))) {
            await().atMost(WITHIN).until(() -> events.sets.size() == 1);
            assertThat(events.sets.get(0).objects()).isEmpty();

            Files.createDirectories(dir.resolve("team"));
            write("team/shop.yaml", authz("{}"));

            await().atMost(WITHIN)
                    .until(() -> events.sets.size() == 2
                            && events.sets.get(1).authorizationPolicies().size() == 1);
        }
    }

    @Test
    void stopsReportingOnceClosed() throws IOException, InterruptedException {
        write("shop.yaml", authz("{}"));
        PolicyDirectoryWatcher watcher = PolicyDirectoryWatcher.start(
                new PolicyDirectory(dir), events, Duration.ofMillis(20), Duration.ofMillis(50));
        await().atMost(WITHIN).until(() -> events.sets.size() == 1);

        watcher.close();
        write("shop.yaml", authz("action: DENY"));
        Thread.sleep(300);

        assertThat(events.sets).hasSize(1);
        assertThat(events.errors).isEmpty();
    }

    private void write(String name, String content) throws IOException {
        // Write then move, as editors and ConfigMap updates do, so that no half-written file is read.
        Path tmp = dir.resolve("." + name.replace('/', '_') + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Records what the watcher reports. */
    private static final class Events implements PolicySetListener {
        final List<PolicySet> sets = new CopyOnWriteArrayList<>();
        final List<PolicyLoadException> errors = new CopyOnWriteArrayList<>();

        @Override
        public void onPolicySet(PolicySet set) {
            sets.add(set);
        }

        @Override
        public void onError(PolicyLoadException error) {
            errors.add(error);
        }
    }
}
