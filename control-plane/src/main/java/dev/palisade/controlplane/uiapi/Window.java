package dev.palisade.controlplane.uiapi;

import dev.palisade.controlplane.flows.FlowQuery;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The time window of a request: {@code since} (default 1 hour back) and {@code until} (default now), each RFC 3339
 * or a duration back from now, as {@code /api/flows} takes them.
 */
record Window(Instant since, Instant until) {
    static final Duration DEFAULT_SPAN = Duration.ofHours(1);

    /**
     * Parses the window and checks that no parameter outside {@code known} was given.
     *
     * @throws IllegalArgumentException naming the bad parameter
     */
    static Window parse(Map<String, List<String>> parameters, Instant now, Set<String> known) {
        for (String name : parameters.keySet()) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown parameter '" + name + "' (known: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
        String since = FlowQuery.one(parameters, "since");
        String until = FlowQuery.one(parameters, "until");
        Instant end = until == null ? now : FlowQuery.parseTime("until", until, now);
        Instant start = since == null ? now.minus(DEFAULT_SPAN) : FlowQuery.parseTime("since", since, now);
        if (!start.isBefore(end)) {
            throw new IllegalArgumentException("since: " + start + " (expected: before until " + end + ")");
        }
        return new Window(start, end);
    }
}
