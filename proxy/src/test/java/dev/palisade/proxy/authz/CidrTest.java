package dev.palisade.proxy.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** IP literals are parsed strictly and never resolved; ranges compare bits. */
class CidrTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(
            strings = {
                "",
                "localhost",
                "example.com",
                "127.1",
                "0x7f.0.0.1",
                "0177.0.0.1",
                "010.0.0.1",
                "1.2.3",
                "1.2.3.4.5",
                "256.0.0.1",
                "1.2.3.-4",
                "1..2.3",
                "1.2.3.4 ",
                " 1.2.3.4",
                "１.2.3.4",
                "10.0.0.0/8",
                ":",
                ":::",
                "1::2::3",
                ":1::",
                "1:2:3:4:5:6:7:8:9",
                "1:2:3:4:5:6:7",
                "1:2:3:4:5:6:7:8::",
                "12345::",
                "g::1",
                "fe80::1%eth0",
                "[::1]",
                "::ffff:1.2.3",
                "::ffff:256.1.1.1",
                "1.2.3.4::"
            })
    void textThatIsNotAnIpLiteralIsRefused(String text) {
        assertThat(Cidr.parseLiteral(text)).isNull();
        assertThatThrownBy(() -> Cidr.of(text, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text);
    }

    static Stream<Arguments> literals() {
        return Stream.of(
                Arguments.of("0.0.0.0", "0.0.0.0"),
                Arguments.of("10.1.2.3", "10.1.2.3"),
                Arguments.of("255.255.255.255", "255.255.255.255"),
                Arguments.of("::", "0:0:0:0:0:0:0:0"),
                Arguments.of("::1", "0:0:0:0:0:0:0:1"),
                Arguments.of("1::", "1:0:0:0:0:0:0:0"),
                Arguments.of("2001:DB8::8:800:200C:417A", "2001:db8:0:0:8:800:200c:417a"),
                Arguments.of("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
                Arguments.of("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
                Arguments.of("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
                Arguments.of("64:ff9b::192.0.2.33", "64:ff9b:0:0:0:0:c000:221"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("literals")
    @SuppressWarnings("AddressSelection") // literals only: the JDK's parser is the reference here, no DNS
    void ipLiteralIsParsedWithoutResolving(String text, String canonical) throws Exception {
        byte[] bytes = Cidr.parseLiteral(text);

        assertThat(bytes).isEqualTo(InetAddress.getByName(canonical).getAddress());
    }

    @Test
    void prefixLongerThanTheAddressIsRefused() {
        assertThatThrownBy(() -> Cidr.of("10.0.0.0", 33)).hasMessageContaining("prefix_len 33");
        assertThatThrownBy(() -> Cidr.of("::", 129)).hasMessageContaining("prefix_len 129");
        assertThatThrownBy(() -> Cidr.of("::", -1)).hasMessageContaining("prefix_len -1");
    }

    @Test
    void rangeComparesPrefixBitsAndClearsTheRest() throws Exception {
        Cidr range = Cidr.of("172.16.99.99", 12);

        assertThat(range).hasToString("172.16.0.0/12");
        assertThat(range.contains(InetAddress.getByName("172.31.255.255"))).isTrue();
        assertThat(range.contains(InetAddress.getByName("172.32.0.0"))).isFalse();
        assertThat(range.contains(InetAddress.getByName("172.15.255.255"))).isFalse();
        assertThat(Cidr.of("0.0.0.0", 0).contains(InetAddress.getByName("::1"))).isFalse();
        assertThat(Cidr.of("::", 0).contains(InetAddress.getByName("10.0.0.1"))).isFalse();
    }

    @Test
    void ipv4MappedPeerIsComparedAsIpv4() throws Exception {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 10, 1, 2, 3};
        InetAddress peer = Inet6Address.getByAddress(null, mapped, -1);

        assertThat(peer).isInstanceOf(Inet6Address.class);
        assertThat(Cidr.parseLiteral("::ffff:10.1.2.3")).isEqualTo(mapped);
        assertThat(Cidr.of("10.0.0.0", 8).contains(peer)).isTrue();
        assertThat(Cidr.of("11.0.0.0", 8).contains(peer)).isFalse();
        assertThat(Cidr.of("::ffff:10.0.0.0", 104).contains(InetAddress.getByName("10.9.9.9")))
                .isTrue();
    }
}
