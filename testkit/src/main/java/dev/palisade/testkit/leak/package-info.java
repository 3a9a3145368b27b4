/**
 * Fails tests that leak Netty reference-counted objects.
 *
 * <p>The surefire and failsafe configuration of the parent pom runs every test JVM with
 * {@code -Dio.netty.leakDetection.level=paranoid} and
 * {@code -Dio.netty.customResourceLeakDetector=dev.palisade.testkit.leak.RecordingLeakDetector};
 * {@link dev.palisade.testkit.leak.LeakDetectionExtension} is registered through
 * {@code META-INF/services} and JUnit's extension auto-detection, so no test has to opt in.
 */
@NullMarked
package dev.palisade.testkit.leak;

import org.jspecify.annotations.NullMarked;
