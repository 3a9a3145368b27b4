package dev.palisade.controlplane;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Unpacks every {@link Any} inside a message, recursively, into its Envoy type; an Any of a type Envoy's protos do
 * not define (or that does not parse as it) fails the test. This is what "a real Envoy must be able to parse them"
 * can be checked as here.
 */
final class EnvoyAnyWalker {
    static final Map<String, Class<? extends Message>> TYPES = Map.of(
            url(TlsInspector.getDefaultInstance()), TlsInspector.class,
            url(HttpConnectionManager.getDefaultInstance()), HttpConnectionManager.class,
            url(Router.getDefaultInstance()), Router.class,
            url(TcpProxy.getDefaultInstance()), TcpProxy.class,
            url(DownstreamTlsContext.getDefaultInstance()), DownstreamTlsContext.class,
            url(UpstreamTlsContext.getDefaultInstance()), UpstreamTlsContext.class,
            url(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDefaultInstance()),
                    io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class,
            url(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDefaultInstance()),
                    io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class);

    private EnvoyAnyWalker() {}

    private static String url(Message m) {
        return "type.googleapis.com/" + m.getDescriptorForType().getFullName();
    }

    /** Every message found inside {@code root} through an Any, unpacked, in visiting order. */
    static List<Message> unpackAll(Message root) throws InvalidProtocolBufferException {
        List<Message> found = new ArrayList<>();
        walk(root, found);
        return found;
    }

    private static void walk(Message message, List<Message> found) throws InvalidProtocolBufferException {
        for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
            if (field.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
                continue;
            }
            List<?> values = field.getKey().isRepeated() ? (List<?>) field.getValue() : List.of(field.getValue());
            for (Object value : values) {
                if (!(value instanceof Message child)) {
                    continue; // map entries of scalars
                }
                if (child instanceof Any any) {
                    Class<? extends Message> type = TYPES.get(any.getTypeUrl());
                    if (type == null) {
                        throw new AssertionError("an Any of unknown type " + any.getTypeUrl() + " in "
                                + message.getDescriptorForType().getFullName() + "."
                                + field.getKey().getName());
                    }
                    Message unpacked = any.unpack(type);
                    found.add(unpacked);
                    walk(unpacked, found);
                } else {
                    walk(child, found);
                }
            }
        }
    }
}
