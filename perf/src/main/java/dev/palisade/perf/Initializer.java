package dev.palisade.perf;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a JMH {@code @Setup} method as the initializer of the fields it sets. JMH injects
 * {@code @Param} values after construction, so state is built in {@code @Setup}, not in the
 * constructor; NullAway accepts any annotation with this simple name as saying "runs before
 * anything reads these fields".
 */
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Initializer {}
