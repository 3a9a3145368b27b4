package dev.palisade.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Runs JMH with its usual command line ({@code -wi 2 -i 3 -f 1 ...}, a benchmark regex, {@code -rf
 * json -rff FILE}) and then writes a markdown summary of the results, with the machine's
 * description, to the file named by the system property {@value #SUMMARY_PROPERTY}: every
 * benchmark with its score and, for {@link Mode#SampleTime}, p50/p99/p99.9; and the authorization
 * decisions as decisions per second and p99 per rule count, cached and uncached, against issue
 * 4's target. Listing and help options go to JMH's own main. Used by {@code perf/jmh}.
 */
@SuppressForbidden(reason = "a command-line tool reports on standard output")
public final class JmhMain {

    /** The system property naming the markdown summary to write. */
    public static final String SUMMARY_PROPERTY = "palisade.jmh.summary";

    private static final String DECISION_BENCHMARK = "dev.palisade.perf.authz.AuthzDecisionBenchmark.decide";
    private static final double TARGET_P99_MICROS = 2.0;

    private JmhMain() {}

    public static void main(String[] args) throws CommandLineOptionException, RunnerException, IOException {
        CommandLineOptions options = new CommandLineOptions(args);
        if (options.shouldHelp()
                || options.shouldList()
                || options.shouldListWithParams()
                || options.shouldListProfilers()
                || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        Collection<RunResult> results = new Runner(options).run();
        String summary = System.getProperty(SUMMARY_PROPERTY);
        if (summary != null && !results.isEmpty()) {
            String markdown = summarize(results, Instant.now());
            Files.writeString(Path.of(summary), markdown);
            System.out.println();
            System.out.println(markdown);
            System.out.println("Summary written to " + summary);
        }
    }

    static String summarize(Collection<RunResult> results, Instant when) {
        List<RunResult> sorted = new ArrayList<>(results);
        sorted.sort(Comparator.comparing((RunResult r) -> r.getParams().getBenchmark())
                .thenComparing(r -> paramString(r.getParams()))
                .thenComparing(r -> r.getParams().getMode()));
        BenchmarkParams first = sorted.get(0).getParams();
        StringBuilder out = new StringBuilder();
        out.append("# JMH results, ")
                .append(when.truncatedTo(ChronoUnit.SECONDS))
                .append("\n\n");
        out.append("- Machine: ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" CPUs (nproc), ")
                .append(cpuModel())
                .append(", ")
                .append(System.getProperty("os.name"))
                .append(' ')
                .append(System.getProperty("os.version"))
                .append('\n');
        out.append("- JVM: ")
                .append(first.getVmName())
                .append(' ')
                .append(first.getVmVersion())
                .append(" (JDK ")
                .append(first.getJdkVersion())
                .append("), options ")
                .append(first.getJvmArgs().stream()
                        .filter(arg -> !arg.startsWith("-D" + SUMMARY_PROPERTY))
                        .toList())
                .append('\n');
        out.append(String.format(
                Locale.ROOT,
                "- JMH %s: %d warm-up iterations of %s, %d measurement iterations of %s, %d fork(s), %d thread(s)%n",
                first.getJmhVersion(),
                first.getWarmup().getCount(),
                first.getWarmup().getTime(),
                first.getMeasurement().getCount(),
                first.getMeasurement().getTime(),
                first.getForks(),
                first.getThreads()));

        List<RunResult> decisions = sorted.stream()
                .filter(r -> r.getParams().getBenchmark().equals(DECISION_BENCHMARK))
                .toList();
        if (!decisions.isEmpty()) {
            appendDecisions(out, decisions);
        }

        out.append("\n## All benchmarks\n\n");
        out.append("| benchmark | params | mode | score | ± error | unit | p50 | p99 | p99.9 |\n");
        out.append("|---|---|---|---:|---:|---|---:|---:|---:|\n");
        for (RunResult result : sorted) {
            BenchmarkParams params = result.getParams();
            Result<?> primary = result.getPrimaryResult();
            boolean sample = params.getMode() == Mode.SampleTime;
            String benchmark = params.getBenchmark();
            out.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %.3f | %.3f | %s | %s | %s | %s |%n",
                    benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1),
                    paramString(params),
                    params.getMode().shortLabel(),
                    primary.getScore(),
                    primary.getScoreError(),
                    primary.getScoreUnit(),
                    sample ? number(primary.getStatistics().getPercentile(50)) : "",
                    sample ? number(primary.getStatistics().getPercentile(99)) : "",
                    sample ? number(primary.getStatistics().getPercentile(99.9)) : ""));
        }
        return out.toString();
    }

    private static void appendDecisions(StringBuilder out, List<RunResult> decisions) {
        Map<String, Map<Mode, Result<?>>> byParams = new TreeMap<>(
                Comparator.comparingInt((String key) -> Integer.parseInt(key.substring(0, key.indexOf(' '))))
                        .thenComparing(key -> key));
        for (RunResult result : decisions) {
            BenchmarkParams params = result.getParams();
            String key = params.getParam("rules") + " " + params.getParam("cached");
            byParams.computeIfAbsent(key, k -> new TreeMap<>()).put(params.getMode(), result.getPrimaryResult());
        }
        out.append("\n## Authorization decisions (AuthzDecisionBenchmark)\n\n");
        out.append("| rules | cache | decisions/s | p50 (µs) | p99 (µs) | p99.9 (µs) |\n");
        out.append("|---:|---|---:|---:|---:|---:|\n");
        @Nullable Double uncached100 = null;
        for (Map.Entry<String, Map<Mode, Result<?>>> entry : byParams.entrySet()) {
            int space = entry.getKey().indexOf(' ');
            String[] key = {entry.getKey().substring(0, space), entry.getKey().substring(space + 1)};
            Result<?> throughput = entry.getValue().get(Mode.Throughput);
            Result<?> sample = entry.getValue().get(Mode.SampleTime);
            Optional<Double> p99 = Optional.ofNullable(sample).map(s -> micros(s, 99));
            if (key[0].equals("100") && key[1].equals("false") && p99.isPresent()) {
                uncached100 = p99.get();
            }
            out.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %s |%n",
                    key[0],
                    key[1].equals("true") ? "on" : "off",
                    throughput == null ? "" : String.format(Locale.ROOT, "%,.0f", perSecond(throughput)),
                    sample == null ? "" : number(micros(sample, 50)),
                    p99.map(JmhMain::number).orElse(""),
                    sample == null ? "" : number(micros(sample, 99.9))));
        }
        if (uncached100 != null) {
            out.append(String.format(
                    Locale.ROOT,
                    "%nTarget (issue 4): p99 under %.0f µs uncached at 100 rules: %s (%s µs).%n",
                    TARGET_P99_MICROS,
                    uncached100 < TARGET_P99_MICROS ? "met" : "NOT met",
                    number(uncached100)));
        }
    }

    /** Operations per second from a throughput result in any time unit. */
    private static double perSecond(Result<?> throughput) {
        String unit = throughput.getScoreUnit();
        double score = throughput.getScore();
        return switch (unit.substring(unit.indexOf('/') + 1)) {
            case "ns" -> score * 1e9;
            case "us" -> score * 1e6;
            case "ms" -> score * 1e3;
            case "s" -> score;
            case "min" -> score / 60;
            default -> throw new IllegalArgumentException("unit: " + unit);
        };
    }

    /** A percentile of a sample-time result, in microseconds. */
    private static double micros(Result<?> sample, double percentile) {
        String unit = sample.getScoreUnit();
        double value = sample.getStatistics().getPercentile(percentile);
        return switch (unit.substring(0, unit.indexOf('/'))) {
            case "ns" -> value / 1e3;
            case "us" -> value;
            case "ms" -> value * 1e3;
            case "s" -> value * 1e6;
            default -> throw new IllegalArgumentException("unit: " + unit);
        };
    }

    private static String number(double value) {
        return String.format(Locale.ROOT, value < 10 ? "%.3f" : "%.1f", value);
    }

    private static String paramString(BenchmarkParams params) {
        return params.getParamsKeys().stream()
                .map(k -> k + "=" + params.getParam(k))
                .collect(Collectors.joining(", "));
    }

    /** The CPU model from {@code /proc/cpuinfo}, or {@code os.arch} where there is none. */
    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse(System.getProperty("os.arch"));
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }
}
