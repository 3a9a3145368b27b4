package dev.palisade.cli;

import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.SpiffeId;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses a workload SPIFFE ID, reporting the SPIFFE rule it breaks as a usage error. */
final class SpiffeIdConverter implements ITypeConverter<SpiffeId> {
    @Override
    public SpiffeId convert(String value) {
        try {
            return SpiffeId.parse(value);
        } catch (InvalidSpiffeIdException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
