/** Loopback network helpers for tests: a TLS echo server and client with observable handshakes. */
@NullMarked
package dev.palisade.testkit.net;

import org.jspecify.annotations.NullMarked;
