package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * An IPv4 or IPv6 address range, compiled from an Envoy {@code CidrRange}.
 *
 * <p>The address is parsed as a literal only, never resolved: {@link InetAddress#getByName} would
 * look a name up in DNS, and accepts forms such as {@code 127.1} or {@code 0x7f.0.0.1} that mean
 * different addresses to different parsers. Accepted: four decimal octets without leading zeros,
 * or RFC 4291 §2.2 IPv6 text (with {@code ::} and a trailing dotted IPv4 part), without zone.
 * Bits beyond the prefix are cleared, as Envoy clears them. An IPv4-mapped IPv6 range ({@code
 * ::ffff:10.0.0.0/104}) and an IPv4-mapped peer address are compared as IPv4, so that a dual-stack
 * socket cannot slip an IPv4 peer past an IPv4 rule. Immutable and thread-safe.
 */
final class Cidr {

    private static final int IPV4_BYTES = 4;
    private static final int IPV6_BYTES = 16;
    private static final int MAPPED_PREFIX_BITS = 96;

    private final byte[] address;
    private final int prefixLength;

    private Cidr(byte[] address, int prefixLength) {
        this.address = address;
        this.prefixLength = prefixLength;
        int fullBytes = prefixLength / 8;
        int remainder = prefixLength % 8;
        if (remainder != 0) {
            address[fullBytes] &= (byte) (0xFF << (8 - remainder));
            fullBytes++;
        }
        Arrays.fill(address, fullBytes, address.length, (byte) 0);
    }

    /**
     * Parses {@code addressPrefix} and {@code prefixLength}.
     *
     * @throws IllegalArgumentException naming the value when it is not an IP literal or the prefix
     *     is longer than the address
     */
    static Cidr of(String addressPrefix, int prefixLength) {
        requireNonNull(addressPrefix, "addressPrefix");
        byte[] bytes = parseLiteral(addressPrefix);
        if (bytes == null) {
            throw new IllegalArgumentException(
                    "address_prefix \"" + addressPrefix + "\" (expected: an IPv4 or IPv6 address literal)");
        }
        int maxBits = bytes.length * 8;
        if (prefixLength < 0 || prefixLength > maxBits) {
            throw new IllegalArgumentException(
                    "prefix_len " + prefixLength + " for " + addressPrefix + " (expected: 0.." + maxBits + ")");
        }
        if (bytes.length == IPV6_BYTES && isIpv4Mapped(bytes) && prefixLength >= MAPPED_PREFIX_BITS) {
            return new Cidr(Arrays.copyOfRange(bytes, 12, 16), prefixLength - MAPPED_PREFIX_BITS);
        }
        return new Cidr(bytes, prefixLength);
    }

    /** Whether {@code ip} is in the range; an address of the other family never is. */
    boolean contains(InetAddress ip) {
        byte[] bytes = ip.getAddress();
        if (bytes.length == IPV6_BYTES && address.length == IPV4_BYTES && isIpv4Mapped(bytes)) {
            bytes = Arrays.copyOfRange(bytes, 12, 16);
        }
        if (bytes.length != address.length) {
            return false;
        }
        int fullBytes = prefixLength / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (bytes[i] != address[i]) {
                return false;
            }
        }
        int remainder = prefixLength % 8;
        if (remainder == 0) {
            return true;
        }
        int mask = 0xFF << (8 - remainder);
        return (bytes[fullBytes] & mask) == (address[fullBytes] & mask);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        if (address.length == IPV4_BYTES) {
            for (int i = 0; i < IPV4_BYTES; i++) {
                out.append(i == 0 ? "" : ".").append(address[i] & 0xFF);
            }
        } else {
            for (int i = 0; i < IPV6_BYTES; i += 2) {
                out.append(i == 0 ? "" : ":")
                        .append(Integer.toHexString((address[i] & 0xFF) << 8 | (address[i + 1] & 0xFF)));
            }
        }
        return out.append('/').append(prefixLength).toString();
    }

    /** The 4 or 16 bytes of an IP literal, or {@code null} when {@code text} is not one. */
    static byte @Nullable [] parseLiteral(String text) {
        return text.indexOf(':') >= 0 ? parseIpv6(text) : parseIpv4(text);
    }

    private static byte @Nullable [] parseIpv4(String text) {
        byte[] bytes = new byte[IPV4_BYTES];
        int part = 0;
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (i < text.length() && text.charAt(i) != '.') {
                continue;
            }
            if (part == IPV4_BYTES) {
                return null;
            }
            int octet = parseOctet(text, start, i);
            if (octet < 0) {
                return null;
            }
            bytes[part++] = (byte) octet;
            start = i + 1;
        }
        return part == IPV4_BYTES ? bytes : null;
    }

    /** A decimal 0..255 without leading zeros in {@code text[start, end)}, or -1. */
    private static int parseOctet(String text, int start, int end) {
        int length = end - start;
        if (length < 1 || length > 3 || (length > 1 && text.charAt(start) == '0')) {
            return -1;
        }
        int value = 0;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value <= 255 ? value : -1;
    }

    private static byte @Nullable [] parseIpv6(String text) {
        String hex = text;
        if (text.indexOf('.') >= 0) {
            int lastColon = text.lastIndexOf(':');
            byte[] ipv4 = parseIpv4(text.substring(lastColon + 1));
            if (ipv4 == null) {
                return null;
            }
            hex = text.substring(0, lastColon + 1)
                    + Integer.toHexString((ipv4[0] & 0xFF) << 8 | (ipv4[1] & 0xFF))
                    + ':'
                    + Integer.toHexString((ipv4[2] & 0xFF) << 8 | (ipv4[3] & 0xFF));
        }
        int doubleColon = hex.indexOf("::");
        if (doubleColon >= 0 && hex.indexOf("::", doubleColon + 1) >= 0) {
            return null;
        }
        int[] head;
        int[] tail;
        if (doubleColon < 0) {
            head = parseGroups(hex);
            tail = new int[0];
            if (head == null || head.length != 8) {
                return null;
            }
        } else {
            head = parseGroups(hex.substring(0, doubleColon));
            tail = parseGroups(hex.substring(doubleColon + 2));
            if (head == null || tail == null || head.length + tail.length > 7) {
                return null;
            }
        }
        byte[] bytes = new byte[IPV6_BYTES];
        for (int i = 0; i < head.length; i++) {
            bytes[2 * i] = (byte) (head[i] >> 8);
            bytes[2 * i + 1] = (byte) head[i];
        }
        for (int i = 0; i < tail.length; i++) {
            int group = 8 - tail.length + i;
            bytes[2 * group] = (byte) (tail[i] >> 8);
            bytes[2 * group + 1] = (byte) tail[i];
        }
        return bytes;
    }

    /** Colon-separated groups of 1-4 hex digits; an empty string is no group; null when invalid. */
    private static int @Nullable [] parseGroups(String text) {
        if (text.isEmpty()) {
            return new int[0];
        }
        String[] parts = text.split(":", -1);
        if (parts.length > 8) {
            return null;
        }
        int[] groups = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 4) {
                return null;
            }
            int value = 0;
            for (int j = 0; j < part.length(); j++) {
                char c = part.charAt(j);
                int digit = c < 0x80 ? Character.digit(c, 16) : -1;
                if (digit < 0) {
                    return null;
                }
                value = value << 4 | digit;
            }
            groups[i] = value;
        }
        return groups;
    }

    private static boolean isIpv4Mapped(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xFF && bytes[11] == (byte) 0xFF;
    }
}
