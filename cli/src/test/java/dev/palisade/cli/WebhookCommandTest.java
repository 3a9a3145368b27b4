package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class WebhookCommandTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aBadInjectionSettingIsAUsageErrorBeforeTheWaitForTheCertificate() {
        // The chart starts the webhook before its certificate exists (--tls-wait 5m); a bad value must not wait too.
        CommandRunner palisade = new CommandRunner("webhook");
        int exit = palisade.run(
                "--tls-cert",
                dir.resolve("not-yet/tls.crt").toString(),
                "--tls-key",
                dir.resolve("not-yet/tls.key").toString(),
                "--tls-wait",
                "5m",
                "--kubernetes-version",
                "1.30",
                "--listen",
                "127.0.0.1:0",
                "--proxy-tls-groups",
                "X25519,x25519");

        assertThat(exit).as(palisade.err()).isEqualTo(2);
        assertThat(palisade.err())
                .startsWith("palisade webhook: invalid injection setting: proxyTlsGroups: entry 2 of"
                        + " 'X25519,x25519', 'x25519', is not a key-exchange group");
        assertThat(palisade.out()).isEmpty();
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aBadBodyLimitIsAUsageErrorBeforeTheWaitToo() {
        CommandRunner palisade = new CommandRunner("webhook");
        int exit = palisade.run(
                "--tls-cert",
                dir.resolve("not-yet/tls.crt").toString(),
                "--tls-key",
                dir.resolve("not-yet/tls.key").toString(),
                "--tls-wait",
                "5m",
                "--kubernetes-version",
                "1.30",
                "--max-body-size",
                "10");

        assertThat(exit).as(palisade.err()).isEqualTo(2);
        assertThat(palisade.err()).startsWith("palisade webhook: --max-body-size: ");
    }
}
