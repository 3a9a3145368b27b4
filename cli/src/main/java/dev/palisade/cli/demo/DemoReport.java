package dev.palisade.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the demo showed, step by step: printed for the reader as it goes, and written as JSON ({@code --report}) for
 * the end-to-end test, which asserts on outcomes (decisions, statuses, counts, verification), never on wording.
 */
final class DemoReport {
    /** One check: what was done, what was expected, what happened. */
    record Step(String name, String expected, String actual, boolean ok) {}

    private final PrintWriter out;
    private final List<Step> steps = new ArrayList<>();
    private final Map<String, Object> facts = new LinkedHashMap<>();

    DemoReport(PrintWriter out) {
        this.out = out;
    }

    /** A heading for a part of the scenario. */
    void section(String title) {
        out.println();
        out.println("== " + title);
        out.flush();
    }

    /** Progress: what is starting, ready, done. */
    void progress(String line) {
        out.println("   " + line);
        out.flush();
    }

    /** Records and prints a check. */
    Step check(String name, String expected, String actual) {
        Step step = new Step(name, expected, actual, expected.equals(actual));
        steps.add(step);
        out.printf(
                Locale.ROOT,
                "   %s %-52s %s%n",
                step.ok() ? "ok  " : "FAIL",
                name,
                step.ok() ? actual : actual + " (expected " + expected + ")");
        out.flush();
        return step;
    }

    /** A measured fact for the report (counts, versions, serials). */
    void fact(String key, Object value) {
        facts.put(key, value);
    }

    Map<String, Object> facts() {
        return java.util.Collections.unmodifiableMap(facts);
    }

    boolean allOk() {
        return steps.stream().allMatch(Step::ok);
    }

    List<Step> steps() {
        return List.copyOf(steps);
    }

    void write(Path file) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", allOk());
        json.put("steps", steps);
        json.put("facts", facts);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
    }
}
