package dev.palisade.proxy.admin;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;

/** One path of a small HTTP server: the one method it accepts and what it answers. Runs on the event loop. */
record Endpoint(HttpMethod method, Handler handler) {

    @FunctionalInterface
    interface Handler {
        Response handle(FullHttpRequest request) throws Exception;
    }
}
