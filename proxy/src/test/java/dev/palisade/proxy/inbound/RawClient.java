package dev.palisade.proxy.inbound;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A blocking HTTP/1.1 client that writes exactly the bytes a test gives it (malformed ones included) and parses what
 * comes back: status line, headers in order, a body framed by Content-Length, chunks (with trailers) or the end of the
 * connection.
 */
final class RawClient implements AutoCloseable {

    /** One response. Header names lower case. */
    record Response(
            int status,
            List<Map.Entry<String, String>> headers,
            byte[] body,
            List<Map.Entry<String, String>> trailers) {
        List<String> header(String name) {
            List<String> values = new ArrayList<>();
            for (Map.Entry<String, String> h : headers) {
                if (h.getKey().equals(name.toLowerCase(Locale.ROOT))) {
                    values.add(h.getValue());
                }
            }
            return values;
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(10_000);
        this.in = new java.io.BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    static RawClient plaintext(InetSocketAddress address) throws IOException {
        return new RawClient(new Socket(address.getAddress(), address.getPort()));
    }

    /** A TLS client; the handshake runs now and throws if the server refuses it. */
    static RawClient tls(InetSocketAddress address, SSLContext context, String... alpn) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(address.getAddress(), address.getPort());
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.3"});
        if (alpn.length > 0) {
            parameters.setApplicationProtocols(alpn);
        }
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return new RawClient(socket);
    }

    RawClient send(String raw) throws IOException {
        return send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawClient send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
        return this;
    }

    /** Sends a GET with Host and the given extra header lines ({@code "Name: value"}). */
    Response get(String target, String... headerLines) throws IOException {
        StringBuilder request = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: payments.shop\r\n");
        for (String line : headerLines) {
            request.append(line).append("\r\n");
        }
        send(request.append("\r\n").toString());
        return read();
    }

    /** Reads exactly {@code n} bytes (raw, after a protocol switch). */
    byte[] readBytes(int n) throws IOException {
        byte[] bytes = in.readNBytes(n);
        if (bytes.length != n) {
            throw new EOFException("cut at " + bytes.length + " of " + n);
        }
        return bytes;
    }

    Response read() throws IOException {
        return read(false);
    }

    /** Reads one response; {@code head}: the request was HEAD, so there is no body whatever the headers say. */
    Response read(boolean head) throws IOException {
        String statusLine = line();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not a status line: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        List<Map.Entry<String, String>> headers = fields();
        Response partial = new Response(status, headers, new byte[0], List.of());
        if (status / 100 == 1 || status == 204 || status == 304 || head) {
            return partial;
        }
        List<String> length = partial.header("content-length");
        List<Map.Entry<String, String>> trailers = List.of();
        byte[] body;
        if (partial.header("transfer-encoding").stream().anyMatch(v -> v.equalsIgnoreCase("chunked"))) {
            ByteArrayOutputStream collected = new ByteArrayOutputStream();
            while (true) {
                String size = line();
                int semicolon = size.indexOf(';');
                int n = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
                if (n == 0) {
                    trailers = fields();
                    break;
                }
                collected.write(in.readNBytes(n));
                line();
            }
            body = collected.toByteArray();
        } else if (!length.isEmpty()) {
            int n = Integer.parseInt(length.get(0).trim());
            body = in.readNBytes(n);
            if (body.length != n) {
                throw new EOFException("body cut at " + body.length + " of " + n);
            }
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, headers, body, trailers);
    }

    private List<Map.Entry<String, String>> fields() throws IOException {
        List<Map.Entry<String, String>> fields = new ArrayList<>();
        String line;
        while (!(line = line()).isEmpty()) {
            int colon = line.indexOf(':');
            fields.add(Map.entry(
                    line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    line.substring(colon + 1).trim()));
        }
        return fields;
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            line.append((char) c);
        }
        throw new EOFException("connection closed" + (line.length() > 0 ? " after '" + line + "'" : ""));
    }

    /** Whether the server closed the connection within {@code millis} (a read returns end of stream or fails). */
    boolean isClosedByServer(int millis) throws IOException {
        socket.setSoTimeout(millis);
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset, or a TLS alert
        } finally {
            socket.setSoTimeout(10_000);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
