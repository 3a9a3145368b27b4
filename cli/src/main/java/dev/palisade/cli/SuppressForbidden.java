package dev.palisade.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Exempts a method from the forbidden-API check (the parent pom suppresses any annotation with this simple name):
 * commands print through picocli's writers, except the sidecar's start without picocli ({@link ProxyFastLine}), which
 * needs the same standard output and error itself.
 */
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.METHOD})
@interface SuppressForbidden {
    /** Why the exemption is needed. */
    String reason();
}
