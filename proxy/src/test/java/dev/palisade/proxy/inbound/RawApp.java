package dev.palisade.proxy.inbound;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An app that records the exact bytes of each request it gets (head, and a chunked body with its trailers) and answers
 * {@code 200} with no body ({@code Connection: close} and closing, for a path starting with {@code /close}). For what the JDK's {@code HttpServer} cannot show: trailers, the wire form of the head.
 */
final class RawApp implements AutoCloseable {

    final LinkedBlockingQueue<String> requests = new LinkedBlockingQueue<>();
    final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
    private final ServerSocket server;
    private final Thread acceptor;

    RawApp() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "raw-app");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    String next() throws InterruptedException {
        String request = requests.poll(10, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the app saw no request");
        }
        return request;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.incrementAndGet();
                Thread t = new Thread(() -> serve(socket), "raw-app-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                ByteArrayOutputStream request = new ByteArrayOutputStream();
                String head = readUntilBlankLine(in, request);
                if (head == null) {
                    return;
                }
                if (head.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
                    while (true) {
                        String size = readLine(in, request);
                        int n = Integer.parseInt(size.trim(), 16);
                        if (n == 0) {
                            readUntilBlankLine(in, request); // trailers
                            break;
                        }
                        request.write(in.readNBytes(n + 2));
                    }
                }
                requests.add(request.toString(StandardCharsets.ISO_8859_1));
                boolean close = head.startsWith("GET /close");
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                if (close) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the connection ends
        }
    }

    private static String readUntilBlankLine(InputStream in, ByteArrayOutputStream copy) throws IOException {
        StringBuilder all = new StringBuilder();
        while (true) {
            String line = readLine(in, copy);
            if (line == null) {
                return null;
            }
            if (line.isEmpty()) {
                return all.toString();
            }
            all.append(line).append('\n');
        }
    }

    private static String readLine(InputStream in, ByteArrayOutputStream copy) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            copy.write(c);
            if (c == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) c);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
