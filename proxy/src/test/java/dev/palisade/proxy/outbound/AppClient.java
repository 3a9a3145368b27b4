package dev.palisade.proxy.outbound;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.CompletableFuture;

/** The app: a blocking socket that writes a payload, half-closes, and reads until the end of the stream. */
final class AppClient {
    private AppClient() {}

    /** Sends {@code payload}, ends its output, and returns everything received until EOF (10 s read timeout). */
    static byte[] exchange(InetSocketAddress address, byte[] payload) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 5000);
            socket.setSoTimeout(10_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int off = 0; off < payload.length; off += 64 * 1024) {
                        out.write(payload, off, Math.min(64 * 1024, payload.length - off));
                    }
                    out.flush();
                    socket.shutdownOutput();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) >= 0; ) {
                received.write(buf, 0, n);
            }
            writer.join();
            return received.toByteArray();
        }
    }

    /**
     * Sends {@code payload} without ending its output and returns how the connection ended: {@code -1} when the
     * sidecar closed it without a byte, or the number of bytes received before EOF.
     */
    static int sendAndAwaitClose(InetSocketAddress address, byte[] payload) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 5000);
            socket.setSoTimeout(10_000);
            try {
                socket.getOutputStream().write(payload);
                socket.getOutputStream().flush();
            } catch (SocketException e) {
                return -1; // already reset
            }
            int total = 0;
            try {
                InputStream in = socket.getInputStream();
                byte[] buf = new byte[4096];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    total += n;
                }
            } catch (SocketException e) {
                // reset by the sidecar: closed as well
            }
            return total == 0 ? -1 : total;
        }
    }
}
