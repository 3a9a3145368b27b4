package dev.palisade.proxy.sidecar;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * The admin server's JSON documents ({@code /config}, {@code /certs}), pretty-printed by jackson-core's streaming
 * generator. The sidecar does not use jackson-databind: for two small documents it would load about 280 classes
 * (2.4 MiB of class files) into every sidecar at start-up.
 */
final class AdminJson {

    private static final JsonFactory FACTORY = new JsonFactory();

    /** Writes one document into the generator it is given. */
    @FunctionalInterface
    interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    private AdminJson() {}

    static String write(Body body) {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            json.useDefaultPrettyPrinter();
            body.write(json);
        } catch (IOException e) {
            // A StringWriter does not fail; a generator refuses only misuse, which is a bug here.
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
