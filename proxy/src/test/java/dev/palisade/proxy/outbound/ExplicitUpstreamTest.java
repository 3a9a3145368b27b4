package dev.palisade.proxy.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.spiffe.SpiffeId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

final class ExplicitUpstreamTest {

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "payments                          | missing '=' after the name",
                "=9001:h:15006                     | upstream name: ''",
                "pay ments=9001:h:15006            | upstream name: 'pay ments'",
                "p=                                | missing ':' after the local port",
                "p=90x1:h:15006                    | local port '90x1'",
                "p=70000:h:15006                   | local port 70000",
                "p=-1:h:15006                      | local port '-1'",
                "p=9001:h                          | missing ':' and port after host 'h'",
                "p=9001::15006                     | empty host",
                "p=9001:h:0                        | port 0",
                "p=9001:h:65536                    | port 65536",
                "p=9001:h:                         | port ''",
                "p=9001:h:15006:                   | expected ID ''",
                "p=9001:h:15006:http://x/y         | expected ID 'http://x/y'",
                "p=9001:h:15006:spiffe://td        | expected ID 'spiffe://td'",
                "p=9001:[fd00::1:15006             | IPv6 host without a closing ']'",
                "p=9001:[fd00::1]15006             | missing ':' and port after host [fd00::1]",
            })
    void refusesMalformedSpecsNamingTheBadPart(String spec, String message) {
        assertThatThrownBy(() -> ExplicitUpstream.parse(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message)
                .hasMessageContaining("--upstream '" + spec + "'");
    }

    @Test
    void parsesAnUpstreamWithAnExpectedId() {
        ExplicitUpstream u =
                ExplicitUpstream.parse("payments=9001:payments.shop:15006:spiffe://cluster.local/ns/shop/sa/payments");

        assertThat(u.name()).isEqualTo("payments");
        assertThat(u.listenPort()).isEqualTo(9001);
        assertThat(u.host()).isEqualTo("payments.shop");
        assertThat(u.port()).isEqualTo(15006);
        assertThat(u.expectedPeer()).isEqualTo(SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/payments"));
        assertThat(ExplicitUpstream.parse(u.toString())).isEqualTo(u);
    }

    @Test
    void parsesAnUpstreamWithoutExpectedIdAndAnIpv6Host() {
        ExplicitUpstream u = ExplicitUpstream.parse("db-1=0:[fd00::1]:15006");

        assertThat(u.host()).isEqualTo("fd00::1");
        assertThat(u.listenPort()).isZero();
        assertThat(u.expectedPeer()).isNull();
        assertThat(u).hasToString("db-1=0:[fd00::1]:15006");
    }
}
