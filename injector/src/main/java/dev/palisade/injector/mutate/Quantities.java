package dev.palisade.injector.mutate;

import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Kubernetes resource quantities ({@code 100m}, {@code 256Mi}, {@code 1.5}, {@code 1e3}): validation and order. */
final class Quantities {

    /** The canonical grammar of apimachinery's {@code resource.Quantity}, positive values only. */
    private static final Pattern QUANTITY =
            Pattern.compile("(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\\d+)?");

    private Quantities() {}

    /** The problem with {@code value} as a resource quantity, or {@code null} when it is a positive quantity. */
    static @Nullable String problem(String value) {
        if (!QUANTITY.matcher(value).matches()) {
            return "'" + value + "' is not a Kubernetes quantity (expected: e.g. 100m, 0.5, 256Mi, 1Gi)";
        }
        try {
            if (amount(value).signum() <= 0) {
                return "'" + value + "' is not positive";
            }
        } catch (ArithmeticException | IllegalArgumentException e) {
            return "'" + value + "' is not a Kubernetes quantity (" + e.getMessage() + ")";
        }
        return null;
    }

    /** Checks {@code value} for a configuration field; throws naming the field. */
    static String verify(String field, String value) {
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(field + ": " + problem);
        }
        return value;
    }

    /** The numeric value in base units (cores or bytes). */
    static BigDecimal amount(String value) {
        return Quantity.getAmountInBytes(new Quantity(value));
    }
}
