package dev.palisade.proxy.sidecar;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.proxy.inbound.InboundLimits;
import dev.palisade.proxy.outbound.ExplicitUpstream;
import dev.palisade.proxy.outbound.OutsideMeshPolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Everything a sidecar process is told at start; the rest comes from the control plane.
 *
 * @param id the workload's SPIFFE ID: the SVID it asks for and its xDS node id
 * @param controlPlane identity + xDS address
 * @param controlPlaneId the SPIFFE ID the control plane must present
 * @param bootstrapBundle the trust bundle (PEM) to verify the control plane before the first SVID
 * @param tokenFile the credential: a projected ServiceAccount token, or a local bootstrap token; re-read at each use
 * @param capturedInbound where the captured inbound listener binds (0.0.0.0:15006), or {@code null} for none
 * @param explicitInbound listeners bound for one app port each (no capture)
 * @param capturedOutbound where the captured outbound listener binds (127.0.0.1:15001), or {@code null} for none
 * @param upstreams explicit outbound listeners (no capture)
 * @param upstreamBind the address the explicit outbound listeners bind (127.0.0.1)
 * @param appHost the app's address for inbound forwarding (127.0.0.1)
 * @param admin the admin server's address (127.0.0.1:15000)
 * @param health the health server's address (0.0.0.0:15021)
 * @param quitTokenFile enables {@code POST /quit} with the token in this file
 * @param flowLog the JSON-lines flow log, or {@code null} for none
 * @param outsideMesh what happens to captured traffic to destinations outside the mesh
 * @param limits inbound limits
 * @param tls TLS options of the data path
 * @param drainTimeout how long a SIGTERM lets in-flight requests finish
 */
public record SidecarConfig(
        SpiffeId id,
        InetSocketAddress controlPlane,
        SpiffeId controlPlaneId,
        Path bootstrapBundle,
        Path tokenFile,
        @Nullable InetSocketAddress capturedInbound,
        List<ExplicitInbound> explicitInbound,
        @Nullable InetSocketAddress capturedOutbound,
        List<ExplicitUpstream> upstreams,
        InetAddress upstreamBind,
        InetAddress appHost,
        InetSocketAddress admin,
        InetSocketAddress health,
        @Nullable Path quitTokenFile,
        @Nullable Path flowLog,
        OutsideMeshPolicy outsideMesh,
        InboundLimits limits,
        TlsOptions tls,
        Duration drainTimeout) {

    public SidecarConfig {
        requireNonNull(id, "id");
        requireNonNull(controlPlane, "controlPlane");
        requireNonNull(controlPlaneId, "controlPlaneId");
        requireNonNull(bootstrapBundle, "bootstrapBundle");
        requireNonNull(tokenFile, "tokenFile");
        explicitInbound = List.copyOf(explicitInbound);
        upstreams = List.copyOf(upstreams);
        requireNonNull(upstreamBind, "upstreamBind");
        requireNonNull(appHost, "appHost");
        requireNonNull(admin, "admin");
        requireNonNull(health, "health");
        requireNonNull(outsideMesh, "outsideMesh");
        requireNonNull(limits, "limits");
        requireNonNull(tls, "tls");
        requireNonNull(drainTimeout, "drainTimeout");
        if (capturedInbound == null && explicitInbound.isEmpty() && capturedOutbound == null && upstreams.isEmpty()) {
            throw new IllegalArgumentException(
                    "no listener: give captured inbound/outbound addresses, or --inbound-for / --upstream");
        }
    }

    public Optional<Path> quitToken() {
        return Optional.ofNullable(quitTokenFile);
    }

    /** Whether any listener relies on iptables capture (and so on epoll's SO_ORIGINAL_DST). */
    public boolean captured() {
        return capturedInbound != null || capturedOutbound != null;
    }
}
