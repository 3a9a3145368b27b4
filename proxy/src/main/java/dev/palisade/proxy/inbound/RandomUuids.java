package dev.palisade.proxy.inbound;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Random (version 4) UUIDs for request ids, from a per-thread buffer of {@link SecureRandom} bytes.
 *
 * <p>{@link UUID#randomUUID()} asks the JDK's {@code SecureRandom} for 16 bytes per call; on Linux that is
 * {@code NativePRNG}, which locks and mixes SHA1PRNG output into bytes of {@code /dev/urandom} on every call: 1.7 % of
 * a server sidecar's event-loop samples under an HTTP/1.1 load (perf/README.md, fifth session). Here each event loop
 * draws {@value #BUFFER_BYTES} bytes at a time from one {@code SecureRandom} and cuts 16 per id, as Envoy draws its
 * request ids from a buffer of BoringSSL's {@code RAND_bytes}. The bytes are the same {@code SecureRandom}'s as
 * before; only the calls are fewer.
 */
final class RandomUuids {

    static final int BUFFER_BYTES = 4096;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(() -> {
        ByteBuffer empty = ByteBuffer.allocate(BUFFER_BYTES);
        empty.position(BUFFER_BYTES);
        return empty;
    });

    private RandomUuids() {}

    static UUID next() {
        ByteBuffer buffer = BUFFER.get();
        if (buffer.remaining() < 16) {
            RANDOM.nextBytes(buffer.array());
            buffer.clear();
        }
        long msb = buffer.getLong();
        long lsb = buffer.getLong();
        msb = (msb & ~0xF000L) | 0x4000L; // version 4
        lsb = (lsb & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L; // IETF variant
        return new UUID(msb, lsb);
    }
}
