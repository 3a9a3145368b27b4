package dev.palisade.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RandomUuidsTest {

    @Test
    void idsAreVersion4IetfVariantAndDistinctAcrossBufferRefills() {
        int n = 3 * RandomUuids.BUFFER_BYTES / 16 + 7; // several refills of the thread's buffer
        Set<UUID> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            UUID id = RandomUuids.next();
            assertThat(id.version()).isEqualTo(4);
            assertThat(id.variant()).isEqualTo(2);
            seen.add(id);
        }
        assertThat(seen).hasSize(n);
    }

    @Test
    void twoThreadsDrawDifferentIds() throws Exception {
        Set<UUID> here = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            here.add(RandomUuids.next());
        }
        Set<UUID> there = CompletableFuture.supplyAsync(() -> {
                    Set<UUID> ids = new HashSet<>();
                    for (int i = 0; i < 100; i++) {
                        ids.add(RandomUuids.next());
                    }
                    return ids;
                })
                .get();
        assertThat(there).hasSize(100).doesNotContainAnyElementsOf(here);
    }

    @Test
    void aRequestWithoutAnIdGetsAFreshUuidAndASaneOneIsKept() {
        String made = RequestIds.of(new DefaultHttpHeaders());
        assertThat(UUID.fromString(made).version()).isEqualTo(4);
        assertThat(RequestIds.of(new DefaultHttpHeaders())).isNotEqualTo(made);
        assertThat(RequestIds.of(new DefaultHttpHeaders().add("x-request-id", "abc-1")))
                .isEqualTo("abc-1");
        assertThat(RequestIds.of(new DefaultHttpHeaders().add("x-request-id", "has space")))
                .matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    }
}
