package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The chart starts the webhook before its certificate exists ({@code --tls-wait 5m}); a bad setting must not wait. */
class WebhookCommandTest {

    @TempDir
    Path dir;

    private final CommandRunner palisade = new CommandRunner("webhook");

    /** The exit code of a webhook waiting up to five minutes for certificate files that never come, plus {@code extra}. */
    private int runWaitingForTheCertificate(String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--tls-cert",
                dir.resolve("not-yet/tls.crt").toString(),
                "--tls-key",
                dir.resolve("not-yet/tls.key").toString(),
                "--tls-wait",
                "5m",
                "--kubernetes-version",
                "1.30",
                "--listen",
                "127.0.0.1:0"));
        args.addAll(List.of(extra));
        return palisade.run(args.toArray(String[]::new));
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aBadInjectionSettingIsAUsageErrorBeforeTheWaitForTheCertificate() {
        int exit = runWaitingForTheCertificate("--proxy-tls-groups", "X25519,x25519");

        assertThat(exit).as(palisade.err()).isEqualTo(2);
        assertThat(palisade.err())
                .startsWith("palisade webhook: invalid injection setting: proxyTlsGroups: entry 2 of"
                        + " 'X25519,x25519', 'x25519', is not a key-exchange group");
        assertThat(palisade.out()).isEmpty();
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aBadBodyLimitIsAUsageErrorBeforeTheWaitToo() {
        int exit = runWaitingForTheCertificate("--max-body-size", "10");

        assertThat(exit).as(palisade.err()).isEqualTo(2);
        assertThat(palisade.err())
                .startsWith("palisade webhook: --max-body-size: maxBodyBytes: 10 (expected: >= 1024)");
        assertThat(palisade.out()).isEmpty();
    }
}
