/** The data path's side of the flow log (issue 6): the events it emits and the sink that takes them. */
@NullMarked
package dev.palisade.proxy.flow;

import org.jspecify.annotations.NullMarked;
