package dev.palisade.certs.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TlsOptionsTest {

    @ParameterizedTest(name = "[{0}]")
    @CsvSource(
            delimiter = '|',
            value = {
                "''                      | entry 1 of '' is empty",
                "X25519,                 | entry 2 of 'X25519,' is empty",
                ",X25519                 | entry 1 of ',X25519' is empty",
                "X25519,,P-256           | entry 2 of 'X25519,,P-256' is empty",
                "x25519                  | entry 1 of 'x25519', 'x25519', is not a key-exchange group",
                "X25519;P-256            | 'X25519;P-256', is not a key-exchange group",
                "P-224                   | 'P-224', is not a key-exchange group",
                "X25519Kyber768Draft00   | 'X25519Kyber768Draft00', is not a key-exchange group",
                "secp256r1               | 'secp256r1', is not a key-exchange group",
                "X25519,P-256,X25519     | entry 3 of 'X25519,P-256,X25519', 'X25519', is given twice",
            })
    void refusesAGroupListNamingTheEntry(String line, String message) {
        assertThatThrownBy(() -> TlsOptions.parseGroups(line))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void anUnknownGroupsMessageListsTheKnownOnes() {
        assertThatThrownBy(() -> TlsOptions.parseGroups("X448"))
                .hasMessageContaining("expected one of X25519MLKEM768, X25519, P-256, P-384, P-521");
    }

    @Test
    void readsAListInItsOrderWithSpacesAroundNames() {
        assertThat(TlsOptions.parseGroups("X25519")).containsExactly("X25519");
        assertThat(TlsOptions.parseGroups("P-384, X25519MLKEM768 ,P-521"))
                .containsExactly("P-384", "X25519MLKEM768", "P-521");
        assertThat(TlsOptions.parseGroups(String.join(",", TlsOptions.DEFAULT_GROUPS)))
                .isEqualTo(TlsOptions.DEFAULT_GROUPS);
    }

    @Test
    void theDefaultsPreferTheHybridAndAreAllKnown() {
        assertThat(TlsOptions.DEFAULT_GROUPS).first().isEqualTo(TlsOptions.X25519_MLKEM768);
        assertThat(TlsOptions.KNOWN_GROUPS).containsAll(TlsOptions.DEFAULT_GROUPS);
        assertThat(TlsOptions.defaults().groups()).isEqualTo(TlsOptions.DEFAULT_GROUPS);
    }

    @Test
    void theHelpTextNamesExactlyTheKnownGroupsInTheirOrder() {
        // A constant for picocli's annotations, so written out by hand: it must not drift from the list it describes.
        String namesOnly = TlsOptions.KNOWN_GROUPS_TEXT.replaceAll(" \\([^)]*\\)", "");

        assertThat(List.of(namesOnly.split(", "))).isEqualTo(TlsOptions.KNOWN_GROUPS);
    }

    @Test
    void anEmptyGroupListIsRefusedByTheOptionsToo() {
        assertThatThrownBy(() -> TlsOptions.defaults().withGroups(java.util.List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("groups: empty");
    }
}
