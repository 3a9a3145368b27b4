package dev.palisade.proxy.admin;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/** What an endpoint answers: a status, a content type and a body. */
record Response(HttpResponseStatus status, String contentType, byte[] body) {
    static final String TEXT = "text/plain; charset=utf-8";
    static final String JSON = "application/json";

    Response {
        requireNonNull(status, "status");
        requireNonNull(contentType, "contentType");
        requireNonNull(body, "body");
    }

    static Response text(HttpResponseStatus status, String body) {
        return new Response(status, TEXT, body.getBytes(StandardCharsets.UTF_8));
    }

    static Response json(String body) {
        return new Response(HttpResponseStatus.OK, JSON, body.getBytes(StandardCharsets.UTF_8));
    }
}
