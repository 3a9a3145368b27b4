package dev.palisade.injector.webhook;

import static java.util.Objects.requireNonNull;

/**
 * An HTTP answer of the webhook, independent of Netty: status, content type and a UTF-8 body.
 *
 * @param status the HTTP status code
 * @param contentType the {@code content-type} header
 * @param body the body: an AdmissionReview (200) or a one-line explanation (4xx)
 */
public record WebhookReply(int status, String contentType, String body) {

    static final String JSON = "application/json";
    static final String TEXT = "text/plain; charset=utf-8";

    public WebhookReply {
        requireNonNull(contentType, "contentType");
        requireNonNull(body, "body");
    }

    static WebhookReply json(String body) {
        return new WebhookReply(200, JSON, body);
    }

    static WebhookReply badRequest(String message) {
        return new WebhookReply(400, TEXT, message + "\n");
    }
}
