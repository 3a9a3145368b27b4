package dev.palisade.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The generated NAT rules: refused inputs first, then golden rule lists. */
class IptablesRulesTest {

    static Stream<Arguments> badInputs() {
        return Stream.of(
                bad(
                        "inbound port 0",
                        () -> CaptureConfig.builder().inboundPort(0),
                        "--inbound-port: 0 (expected: 1..65535)"),
                bad(
                        "outbound port 70000",
                        () -> CaptureConfig.builder().outboundPort(70000),
                        "--outbound-port: 70000 (expected: 1..65535)"),
                bad("negative port", () -> CaptureConfig.builder().inboundPort(-1), "--inbound-port: -1"),
                bad(
                        "excluded inbound port 0",
                        () -> CaptureConfig.builder().excludeInboundPorts("8080,0"),
                        "--exclude-inbound-ports: 0 (expected: 1..65535)"),
                bad(
                        "excluded outbound port 70000",
                        () -> CaptureConfig.builder().excludeOutboundPorts("70000"),
                        "--exclude-outbound-ports: 70000 (expected: 1..65535)"),
                bad(
                        "non-numeric excluded port",
                        () -> CaptureConfig.builder().excludeInboundPorts("8080,http"),
                        "--exclude-inbound-ports: 'http' is not a port number"),
                bad(
                        "signed excluded port",
                        () -> CaptureConfig.builder().excludeOutboundPorts("+80"),
                        "--exclude-outbound-ports: '+80' is not a port number"),
                bad(
                        "overflowing excluded port",
                        () -> CaptureConfig.builder().excludeOutboundPorts("99999999999"),
                        "--exclude-outbound-ports: '99999999999' is not a port number"),
                bad(
                        "range instead of list",
                        () -> CaptureConfig.builder().excludeInboundPorts("8080-8090"),
                        "--exclude-inbound-ports: '8080-8090' is not a port number"),
                bad(
                        "empty list element",
                        () -> CaptureConfig.builder().excludeInboundPorts("8080,,9090"),
                        "--exclude-inbound-ports: empty element in '8080,,9090'"),
                bad(
                        "trailing comma",
                        () -> CaptureConfig.builder().excludeOutboundPorts("5432,"),
                        "--exclude-outbound-ports: empty element in '5432,'"),
                bad(
                        "duplicate excluded inbound port",
                        () -> CaptureConfig.builder().excludeInboundPorts("8080, 9090,8080"),
                        "--exclude-inbound-ports: 8080 is listed twice"),
                bad(
                        "duplicate excluded outbound port",
                        () -> CaptureConfig.builder().excludeOutboundPorts(List.of(53, 53)),
                        "--exclude-outbound-ports: 53 is listed twice"),
                bad(
                        "inbound port == outbound port",
                        () -> CaptureConfig.builder().inboundPort(15001).outboundPort(15001),
                        "--inbound-port and --outbound-port: both 15001 (expected: two different ports)"),
                bad(
                        "inbound port on the health port",
                        () -> CaptureConfig.builder().inboundPort(15021),
                        "--inbound-port: 15021 is the sidecar's health port"),
                bad(
                        "outbound port on the admin port",
                        () -> CaptureConfig.builder().outboundPort(15000),
                        "--outbound-port: 15000 is the sidecar's admin port"),
                bad(
                        "proxy uid 0",
                        () -> CaptureConfig.builder().proxyUid(0),
                        "--proxy-uid: 0 (expected: 1..4294967294"),
                bad("proxy uid -1", () -> CaptureConfig.builder().proxyUid(-1), "--proxy-uid: -1"),
                bad(
                        "proxy uid (uid_t) -1",
                        () -> CaptureConfig.builder().proxyUid(4_294_967_295L),
                        "--proxy-uid: 4294967295"));
    }

    private static Arguments bad(String name, Supplier<CaptureConfig.Builder> builder, String message) {
        return Arguments.of(name, builder, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void refusesBadInputNamingTheFlag(String name, Supplier<CaptureConfig.Builder> builder, String message) {
        assertThatThrownBy(() -> builder.get().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void defaultsCaptureInboundAndOutboundExceptAdminHealthTheProxyAndLoopback() {
        assertThat(IptablesRules.of(CaptureConfig.defaults()).restoreScript(IpFamily.IPV4))
                .containsExactly(
                        "*nat",
                        ":PALISADE_INBOUND - [0:0]",
                        ":PALISADE_IN_REDIRECT - [0:0]",
                        ":PALISADE_OUTPUT - [0:0]",
                        ":PALISADE_REDIRECT - [0:0]",
                        "-A PALISADE_INBOUND -p tcp --dport 15000 -j RETURN",
                        "-A PALISADE_INBOUND -p tcp --dport 15021 -j RETURN",
                        "-A PALISADE_INBOUND -p tcp -j PALISADE_IN_REDIRECT",
                        "-A PALISADE_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006",
                        "-A PALISADE_OUTPUT -o lo ! -d 127.0.0.0/8 -m owner --uid-owner 1337 -j PALISADE_IN_REDIRECT",
                        "-A PALISADE_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN",
                        "-A PALISADE_OUTPUT -m owner --uid-owner 1337 -j RETURN",
                        "-A PALISADE_OUTPUT -d 127.0.0.0/8 -j RETURN",
                        "-A PALISADE_OUTPUT -j PALISADE_REDIRECT",
                        "-A PALISADE_REDIRECT -p tcp -j REDIRECT --to-ports 15001",
                        "-A PREROUTING -p tcp -j PALISADE_INBOUND",
                        "-A OUTPUT -p tcp -j PALISADE_OUTPUT",
                        "COMMIT");
    }

    @Test
    void ipv6GetsTheSameRulesWithItsOwnLoopback() {
        assertThat(IptablesRules.of(CaptureConfig.defaults()).restoreScript(IpFamily.IPV6))
                .containsExactly(
                        "*nat",
                        ":PALISADE_INBOUND - [0:0]",
                        ":PALISADE_IN_REDIRECT - [0:0]",
                        ":PALISADE_OUTPUT - [0:0]",
                        ":PALISADE_REDIRECT - [0:0]",
                        "-A PALISADE_INBOUND -p tcp --dport 15000 -j RETURN",
                        "-A PALISADE_INBOUND -p tcp --dport 15021 -j RETURN",
                        "-A PALISADE_INBOUND -p tcp -j PALISADE_IN_REDIRECT",
                        "-A PALISADE_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006",
                        "-A PALISADE_OUTPUT -o lo ! -d ::1/128 -m owner --uid-owner 1337 -j PALISADE_IN_REDIRECT",
                        "-A PALISADE_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN",
                        "-A PALISADE_OUTPUT -m owner --uid-owner 1337 -j RETURN",
                        "-A PALISADE_OUTPUT -d ::1/128 -j RETURN",
                        "-A PALISADE_OUTPUT -j PALISADE_REDIRECT",
                        "-A PALISADE_REDIRECT -p tcp -j REDIRECT --to-ports 15001",
                        "-A PREROUTING -p tcp -j PALISADE_INBOUND",
                        "-A OUTPUT -p tcp -j PALISADE_OUTPUT",
                        "COMMIT");
    }

    @Test
    void exclusionsAndOtherPortsAndUid() {
        CaptureConfig config = CaptureConfig.builder()
                .proxyUid(2000)
                .inboundPort(16006)
                .outboundPort(16001)
                .excludeInboundPorts("9090, 22")
                .excludeOutboundPorts("5432,443")
                .build();
        assertThat(IptablesRules.of(config).chainRules(IpFamily.IPV4))
                .map(IptablesRule::toString)
                .containsExactly(
                        "-A PALISADE_INBOUND -p tcp --dport 22 -j RETURN",
                        "-A PALISADE_INBOUND -p tcp --dport 9090 -j RETURN",
                        "-A PALISADE_INBOUND -p tcp --dport 15000 -j RETURN",
                        "-A PALISADE_INBOUND -p tcp --dport 15021 -j RETURN",
                        "-A PALISADE_INBOUND -p tcp -j PALISADE_IN_REDIRECT",
                        "-A PALISADE_IN_REDIRECT -p tcp -j REDIRECT --to-ports 16006",
                        "-A PALISADE_OUTPUT -p tcp --dport 443 -j RETURN",
                        "-A PALISADE_OUTPUT -p tcp --dport 5432 -j RETURN",
                        "-A PALISADE_OUTPUT -o lo ! -d 127.0.0.0/8 -m owner --uid-owner 2000 -j PALISADE_IN_REDIRECT",
                        "-A PALISADE_OUTPUT -o lo -m owner ! --uid-owner 2000 -j RETURN",
                        "-A PALISADE_OUTPUT -m owner --uid-owner 2000 -j RETURN",
                        "-A PALISADE_OUTPUT -d 127.0.0.0/8 -j RETURN",
                        "-A PALISADE_OUTPUT -j PALISADE_REDIRECT",
                        "-A PALISADE_REDIRECT -p tcp -j REDIRECT --to-ports 16001");
    }

    @Test
    void excludingTheAlwaysExcludedPortsAgainChangesNothing() {
        CaptureConfig config =
                CaptureConfig.builder().excludeInboundPorts("15021,15000").build();
        assertThat(IptablesRules.of(config).restoreScript(IpFamily.IPV4))
                .isEqualTo(IptablesRules.of(CaptureConfig.defaults()).restoreScript(IpFamily.IPV4));
    }

    @Test
    void blankListsMeanNoExclusion() {
        assertThat(CaptureConfig.builder()
                        .excludeInboundPorts(" ")
                        .excludeOutboundPorts("")
                        .build())
                .isEqualTo(CaptureConfig.defaults());
    }

    @Test
    void ipv6CanBeTurnedOff() {
        assertThat(CaptureConfig.defaults().families()).containsExactly(IpFamily.IPV4, IpFamily.IPV6);
        assertThat(CaptureConfig.builder().ipv6(false).build().families()).containsExactly(IpFamily.IPV4);
    }

    @Test
    void toBuilderRoundTrips() {
        CaptureConfig config = CaptureConfig.builder()
                .proxyUid(7)
                .excludeInboundPorts("1,2")
                .excludeOutboundPorts("3")
                .ipv6(false)
                .build();
        assertThat(config.toBuilder().build()).isEqualTo(config);
    }

    @Test
    void rulesAreSingleArgumentsWithoutWhitespace() {
        assertThatThrownBy(() -> IptablesRule.of("OUTPUT", "-j RETURN"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'-j RETURN'");
        assertThatThrownBy(() -> IptablesRule.of("OUTPUT")).hasMessageContaining("spec: empty");
    }
}
