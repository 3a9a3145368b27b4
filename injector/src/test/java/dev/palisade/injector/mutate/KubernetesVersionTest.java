package dev.palisade.injector.mutate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KubernetesVersionTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "1", "one.two", "1.", ".30", "1.30.2.1.1", "v", "0.30", "1.30 beta"})
    void refusesWhatIsNotAVersion(String text) {
        assertThatThrownBy(() -> KubernetesVersion.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @ParameterizedTest
    @CsvSource({
        "1.30, 1, 30, true",
        "v1.30.2, 1, 30, true",
        "v1.29.4-gke.1043002, 1, 29, true",
        "1.28+, 1, 28, false",
        "' 1.27 ', 1, 27, false",
        "2.0, 2, 0, true",
    })
    void parsesWhatOperatorsAndTheApiServerWrite(String text, int major, int minor, boolean nativeSidecars) {
        KubernetesVersion version = KubernetesVersion.parse(text);

        assertThat(version).isEqualTo(new KubernetesVersion(major, minor));
        assertThat(version.supportsNativeSidecars()).isEqualTo(nativeSidecars);
    }
}
