package dev.palisade.proxy.capture;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A child process of {@link TransparentCaptureIT}: connects to each {@code host:port} (or {@code [ipv6]:port}) given
 * and prints {@code TARGET -> LINE}, where LINE is the first line the server sent, {@code REFUSED}, {@code TIMEOUT} or
 * {@code ERROR ...}. JDK classes only, so that it can run from the test-classes directory alone as the proxy's uid,
 * which cannot read the Maven repository under root's home.
 */
public final class CaptureProbeClient {

    private CaptureProbeClient() {}

    public static void main(String[] args) {
        for (String target : args) {
            System.out.println(target + " -> " + probe(target));
        }
        System.out.flush();
    }

    private static String probe(String target) {
        int colon = target.lastIndexOf(':');
        String host = target.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(target.substring(colon + 1));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), 3_000);
            socket.setSoTimeout(5_000);
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            String line = in.readLine();
            return line == null ? "CLOSED" : line;
        } catch (ConnectException e) {
            return String.valueOf(e.getMessage()).contains("refused") ? "REFUSED" : "ERROR " + e;
        } catch (SocketTimeoutException e) {
            return "TIMEOUT";
        } catch (IOException e) {
            return "ERROR " + e;
        }
    }
}
