/** Time for tests: a clock that moves only when the test says so. */
@NullMarked
package dev.palisade.testkit.time;

import org.jspecify.annotations.NullMarked;
