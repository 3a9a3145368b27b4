package dev.palisade.cli;

import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.TrustDomain;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses a trust domain, reporting the SPIFFE rule it breaks as a usage error. */
final class TrustDomainConverter implements ITypeConverter<TrustDomain> {
    @Override
    public TrustDomain convert(String value) {
        try {
            return TrustDomain.parse(value);
        } catch (InvalidSpiffeIdException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
