package dev.palisade.perf;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Exempts a type or method from the forbidden-API check (the parent pom suppresses any annotation
 * with this simple name): benchmark mains report on standard output, which main code elsewhere
 * must not use.
 */
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.CONSTRUCTOR, ElementType.FIELD})
public @interface SuppressForbidden {
    /** Why the exemption is needed. */
    String reason();
}
