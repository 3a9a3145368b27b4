package dev.palisade.proxy.config;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The sidecar's current {@link ProxyConfig}: set by the xDS client with each accepted update, read by the data path
 * once per connection (and per request for the policy). Empty until the first update; readers then wait for
 * readiness, which needs a config. Thread-safe: a volatile reference, replaced whole.
 */
public final class ProxyConfigHolder {
    private volatile @Nullable ProxyConfig current;
    private final List<Consumer<ProxyConfig>> listeners = new CopyOnWriteArrayList<>();

    public ProxyConfigHolder() {}

    public ProxyConfigHolder(ProxyConfig initial) {
        this.current = initial;
    }

    /** The current config, if one was ever set. */
    public Optional<ProxyConfig> current() {
        return Optional.ofNullable(current);
    }

    /** The current config; only for callers that run after readiness, which implies one. */
    public ProxyConfig require() {
        ProxyConfig c = current;
        if (c == null) {
            throw new IllegalStateException("no configuration received from the control plane yet");
        }
        return c;
    }

    /** Replaces the config and tells the listeners, in the caller's thread. */
    public void set(ProxyConfig next) {
        current = next;
        for (Consumer<ProxyConfig> listener : listeners) {
            listener.accept(next);
        }
    }

    /** Calls {@code listener} with every later config. */
    public void addListener(Consumer<ProxyConfig> listener) {
        listeners.add(listener);
    }
}
