package dev.palisade.certs.tls;

import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** Probes, once per group name and process, whether BoringSSL accepts a key-exchange group. */
final class GroupSupport {
    private static final ConcurrentMap<String, Boolean> cache = new ConcurrentHashMap<>();

    private GroupSupport() {}

    static boolean isSupported(String group) {
        return cache.computeIfAbsent(group, GroupSupport::probe);
    }

    private static boolean probe(String group) {
        try {
            Object context = SslContextBuilder.forClient()
                    .sslProvider(SslProvider.OPENSSL)
                    .option(OpenSslContextOption.GROUPS, new String[] {group})
                    .build();
            ReferenceCountUtil.release(context);
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
