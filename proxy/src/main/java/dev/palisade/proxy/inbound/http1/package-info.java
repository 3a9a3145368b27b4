/**
 * HTTP/1.1 connections from the inbound listener to the app on loopback: {@link
 * dev.palisade.proxy.inbound.http1.Http1AppStreams}, a per-event-loop pool of keep-alive client connections that hands
 * out one connection per exchange.
 */
@NullMarked
package dev.palisade.proxy.inbound.http1;

import org.jspecify.annotations.NullMarked;
