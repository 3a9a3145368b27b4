package dev.palisade.cli;

import dev.palisade.controlplane.config.OtlpConfig;
import java.net.URI;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --otlp-endpoint}: an OTLP/HTTP receiver's URL, checked when the command line is parsed (so a bad value in the
 * Helm chart fails the pod at once, with the reason): {@code http(s)://HOST:PORT}, {@code /v1/logs} added when no
 * path is given ({@link OtlpConfig#parseEndpoint}).
 */
final class OtlpEndpointConverter implements ITypeConverter<URI> {
    @Override
    public URI convert(String value) {
        try {
            return OtlpConfig.parseEndpoint(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(String.valueOf(e.getMessage()));
        }
    }
}
