package dev.palisade.controlplane.flows;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FlowCsvTest {

    /** value | the cell written; formula-like starts are neutralised first, then RFC 4180 quoting applies. */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "=HYPERLINK(\"http://evil\",\"x\") | `\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"`",
                "+1+1 | '+1+1",
                "-2+3 | '-2+3",
                "@SUM(A1) | '@SUM(A1)",
                "/orders/1 | /orders/1",
                "/a,b | `\"/a,b\"`",
                "spiffe://demo.local/ns/shop/sa/frontend | spiffe://demo.local/ns/shop/sa/frontend",
            })
    void cellsAreQuotedAndNeverStartLikeAFormula(String value, String expected) {
        assertThat(FlowCsv.cell(value)).isEqualTo(expected);
    }
}
