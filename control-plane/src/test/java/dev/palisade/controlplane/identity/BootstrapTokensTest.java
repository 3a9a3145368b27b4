package dev.palisade.controlplane.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.spiffe.TrustDomain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BootstrapTokensTest {
    static final TrustDomain TD = TrustDomain.parse("demo.local");

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "0123456789abcdef shop | tokens.txt:1: expected 'token namespace service-account', found 2 field(s)",
                "short shop orders | tokens.txt:1: token is shorter than 16 characters",
                "0123456789abcdef .. orders | tokens.txt:1: path cannot contain dot segments",
                "0123456789abcdef shop or/ders | tokens.txt:1:",
            })
    void badLinesAreRefusedNamingFileAndLine(String line, String message) {
        assertThatThrownBy(() -> BootstrapTokens.parse(line, "tokens.txt", TD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void duplicateTokensAreRefused() {
        assertThatThrownBy(() ->
                        BootstrapTokens.parse("0123456789abcdef shop a\n0123456789abcdef shop b\n", "tokens.txt", TD))
                .hasMessage("tokens.txt:2: the same token appears twice");
    }

    @Test
    void unknownOrEmptyCredentialIsRefusedWithoutEchoingIt() {
        BootstrapTokens tokens = BootstrapTokens.parse("0123456789abcdef shop orders", "t", TD);
        assertThatThrownBy(() -> tokens.verify(""))
                .isInstanceOf(CredentialException.class)
                .hasMessage("no credential");
        assertThatThrownBy(() -> tokens.verify("fedcba9876543210-secret"))
                .isInstanceOf(CredentialException.class)
                .hasMessage("unknown bootstrap token");
        assertThatThrownBy(() -> tokens.verify("0123456789abcdeF")).isInstanceOf(CredentialException.class);
    }

    @Test
    void knownTokenGrantsExactlyItsWorkloadIdentity() throws Exception {
        BootstrapTokens tokens = BootstrapTokens.parse(
                "# comment\n\n0123456789abcdef shop orders   # trailing comment\nffffffffffffffff shop payments\n",
                "t",
                TD);
        assertThat(tokens.size()).isEqualTo(2);
        Entitlement e = tokens.verify("ffffffffffffffff");
        assertThat(e.id()).hasToString("spiffe://demo.local/ns/shop/sa/payments");
        assertThat(e.subject()).isEqualTo("bootstrap-token@line4").doesNotContain("ffff");
    }
}
