package dev.palisade.cli;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.tls.TlsOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * {@code palisade proxy}'s command line read without picocli, for the sidecar's start. Picocli builds the command's
 * model by reflection over its annotations, with about 180 classes of its own that the class data sharing archive
 * cannot hold (their class file version is too old): 0.2–0.3 s of a sidecar's 1.6 s from process start to ready on
 * two cores (perf/README.md, "Time to ready: the command line").
 *
 * <p>Only the plain lines that the injector, the chart, {@code perf/run} and the docs write are read here: {@code
 * --name value} or {@code --name=value} for the options of {@link ProxyCommand}, and {@code --no-capture}. Anything
 * else gives empty, and picocli parses the line as before and reports what is wrong in its own words: help or version,
 * an unknown or abbreviated option, a single option given twice, a missing or empty value or one that starts with
 * {@code -} or {@code @} (picocli reads {@code @file} arguments anywhere), a number that is not plain decimal, a value
 * its converter refuses, an environment variable of a default that is set but empty or holds a {@code $} (picocli
 * interpolates the value again), and any {@code picocli.*} system property (they change how picocli reads a line). The
 * defaults are the annotations' own strings, resolved the way picocli resolves {@code ${env:NAME}} and {@code
 * ${env:NAME:-DEFAULT}}; the converters are the ones the annotations name.
 * ProxyFastLineTest keeps the table equal to the annotations and the parsed commands equal to picocli's.
 */
final class ProxyFastLine {
    /** How an option takes its value. */
    enum Kind {
        /** No value: {@code --no-capture}. */
        FLAG,
        /** One value; twice is picocli's error. */
        SINGLE,
        /** One value per occurrence, collected in order. */
        REPEATABLE
    }

    /** Stores a converted value into the command; throws when the value does not convert. */
    @FunctionalInterface
    interface Setter {
        void set(ProxyCommand command, String value) throws Exception;
    }

    /**
     * One option of {@link ProxyCommand}.
     *
     * @param field the annotated field it sets (for the test that compares this table with the annotations)
     * @param defaultValue the annotation's {@code defaultValue}, null when it has none
     */
    record Option(String name, String field, Kind kind, @Nullable String defaultValue, Setter setter) {}

    /** Every option of {@link ProxyCommand}, with the annotations' names, defaults and converters. */
    static final List<Option> OPTIONS = List.of(
            new Option(
                    "--trust-domain",
                    "trustDomain",
                    Kind.SINGLE,
                    "${env:PALISADE_TRUST_DOMAIN:-cluster.local}",
                    (c, v) -> c.trustDomain = new TrustDomainConverter().convert(v)),
            new Option("--namespace", "namespace", Kind.SINGLE, "${env:POD_NAMESPACE}", (c, v) -> c.namespace = v),
            new Option(
                    "--service-account",
                    "serviceAccount",
                    Kind.SINGLE,
                    "${env:SERVICE_ACCOUNT}",
                    (c, v) -> c.serviceAccount = v),
            new Option(
                    "--control-plane",
                    "controlPlane",
                    Kind.SINGLE,
                    "${env:PALISADE_CONTROL_PLANE:-127.0.0.1:15012}",
                    (c, v) -> c.controlPlane = new AddressConverter().convert(v)),
            new Option(
                    "--control-plane-id",
                    "controlPlaneId",
                    Kind.SINGLE,
                    null,
                    (c, v) -> c.controlPlaneId = new SpiffeIdConverter().convert(v)),
            new Option(
                    "--ca-bundle",
                    "caBundle",
                    Kind.SINGLE,
                    "${env:PALISADE_CA_BUNDLE:-/var/run/palisade/ca/bundle.pem}",
                    (c, v) -> c.caBundle = Path.of(v)),
            new Option(
                    "--token-file",
                    "tokenFile",
                    Kind.SINGLE,
                    "${env:PALISADE_TOKEN_FILE:-/var/run/secrets/palisade/token}",
                    (c, v) -> c.tokenFile = Path.of(v)),
            new Option("--no-capture", "noCapture", Kind.FLAG, null, (c, v) -> c.noCapture = true),
            new Option(
                    "--inbound-listen",
                    "inboundListen",
                    Kind.SINGLE,
                    "0.0.0.0:${env:PALISADE_INBOUND_PORT:-15006}",
                    (c, v) -> c.inboundListen = new AddressConverter().convert(v)),
            new Option(
                    "--outbound-listen",
                    "outboundListen",
                    Kind.SINGLE,
                    "127.0.0.1:${env:PALISADE_OUTBOUND_PORT:-15001}",
                    (c, v) -> c.outboundListen = new AddressConverter().convert(v)),
            new Option(
                    "--inbound-for",
                    "inboundFor",
                    Kind.REPEATABLE,
                    null,
                    (c, v) -> c.inboundFor.add(new ProxyCommand.ExplicitInboundConverter().convert(v))),
            new Option(
                    "--upstream",
                    "upstreams",
                    Kind.REPEATABLE,
                    null,
                    (c, v) -> c.upstreams.add(new ProxyCommand.UpstreamConverter().convert(v))),
            new Option("--upstream-bind", "upstreamBind", Kind.SINGLE, "127.0.0.1", (c, v) -> c.upstreamBind = v),
            new Option("--app-host", "appHost", Kind.SINGLE, "127.0.0.1", (c, v) -> c.appHost = v),
            new Option(
                    "--admin",
                    "admin",
                    Kind.SINGLE,
                    "127.0.0.1:${env:PALISADE_ADMIN_PORT:-15000}",
                    (c, v) -> c.admin = new AddressConverter().convert(v)),
            new Option(
                    "--health",
                    "health",
                    Kind.SINGLE,
                    "0.0.0.0:${env:PALISADE_HEALTH_PORT:-15021}",
                    (c, v) -> c.health = new AddressConverter().convert(v)),
            new Option("--quit-token-file", "quitTokenFile", Kind.SINGLE, null, (c, v) -> c.quitTokenFile = Path.of(v)),
            new Option(
                    "--flow-log-dir",
                    "flowLogDir",
                    Kind.SINGLE,
                    "${env:PALISADE_DATA_DIR}",
                    (c, v) -> c.flowLogDir = Path.of(v)),
            new Option("--outside-mesh", "outsideMesh", Kind.SINGLE, "allow", (c, v) -> c.outsideMesh = v),
            new Option(
                    "--drain-timeout",
                    "drainTimeout",
                    Kind.SINGLE,
                    "20s",
                    (c, v) -> c.drainTimeout = new DurationConverter().convert(v)),
            new Option(
                    "--startup-timeout",
                    "startupTimeout",
                    Kind.SINGLE,
                    "120s",
                    (c, v) -> c.startupTimeout = new DurationConverter().convert(v)),
            new Option(
                    "--tls-groups",
                    "tlsGroups",
                    Kind.SINGLE,
                    "${env:PALISADE_TLS_GROUPS:-" + TlsOptions.DEFAULT_GROUPS_LINE + "}",
                    (c, v) -> c.tlsGroups = new ProxyCommand.TlsGroupsConverter().convert(v)),
            new Option(
                    "--max-header-bytes", "maxHeaderBytes", Kind.SINGLE, null, (c, v) -> c.maxHeaderBytes = decimal(v)),
            new Option(
                    "--max-header-count", "maxHeaderCount", Kind.SINGLE, null, (c, v) -> c.maxHeaderCount = decimal(v)),
            new Option(
                    "--max-concurrent-streams",
                    "maxConcurrentStreams",
                    Kind.SINGLE,
                    null,
                    (c, v) -> c.maxConcurrentStreams = decimal(v)),
            new Option(
                    "--header-read-timeout",
                    "headerReadTimeout",
                    Kind.SINGLE,
                    null,
                    (c, v) -> c.headerReadTimeout = new DurationConverter().convert(v)),
            new Option(
                    "--idle-timeout",
                    "idleTimeout",
                    Kind.SINGLE,
                    null,
                    (c, v) -> c.idleTimeout = new DurationConverter().convert(v)));

    private static final Map<String, Option> BY_NAME = byName();

    /** {@code ${env:NAME}} or {@code ${env:NAME:-DEFAULT}}, the only forms the defaults use. */
    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private ProxyFastLine() {}

    /**
     * The command {@code args} ({@code proxy} first) describe, with its options set as picocli would set them; empty
     * when the line needs picocli (see the class documentation).
     *
     * @param env the environment for the defaults ({@code System::getenv})
     */
    static Optional<ProxyCommand> parse(String[] args, Function<String, @Nullable String> env) {
        requireNonNull(args, "args");
        requireNonNull(env, "env");
        if (args.length == 0 || !args[0].equals("proxy") || picocliPropertiesSet()) {
            return Optional.empty();
        }
        ProxyCommand command = new ProxyCommand();
        Set<String> given = new HashSet<>();
        try {
            for (int i = 1; i < args.length; i++) {
                String token = args[i];
                int equals = token.indexOf('=');
                String name = equals < 0 ? token : token.substring(0, equals);
                Option option = BY_NAME.get(name);
                if (option == null) {
                    return Optional.empty();
                }
                boolean first = given.add(name);
                if (option.kind() == Kind.FLAG) {
                    if (equals >= 0 || !first) {
                        return Optional.empty();
                    }
                    option.setter().set(command, "");
                    continue;
                }
                if (option.kind() == Kind.SINGLE && !first) {
                    return Optional.empty();
                }
                String value;
                if (equals >= 0) {
                    value = token.substring(equals + 1);
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    return Optional.empty();
                }
                if (value.isEmpty() || value.startsWith("-") || value.startsWith("@")) {
                    return Optional.empty();
                }
                option.setter().set(command, value);
            }
            for (Option option : OPTIONS) {
                if (option.defaultValue() == null || given.contains(option.name())) {
                    continue;
                }
                Optional<String> resolved = resolve(option.defaultValue(), env);
                if (resolved.isPresent()) {
                    option.setter().set(command, resolved.get());
                }
            }
        } catch (Exception e) {
            // A value that does not convert, or a default that this reader leaves to picocli: picocli says why.
            return Optional.empty();
        }
        return Optional.of(command);
    }

    /**
     * {@code template} with its {@code ${env:…}} variables resolved as picocli resolves them: a set variable gives its
     * value, an unset one its {@code :-} default; a template that is only an unset variable without a default leaves
     * the option without a default (empty).
     *
     * @throws IllegalArgumentException for what this reader leaves to picocli: a variable set but empty, a value with
     *     a {@code $} (picocli interpolates it again), an unset variable without a default inside a longer template
     *     (picocli writes {@code null} there)
     */
    static Optional<String> resolve(String template, Function<String, @Nullable String> env) {
        Matcher m = ENV.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.apply(m.group(1));
            if (value == null) {
                if (m.group(2) == null) {
                    if (m.start() == 0 && m.end() == template.length()) {
                        return Optional.empty();
                    }
                    throw new IllegalArgumentException("$" + m.group(1) + " is unset inside " + template);
                }
                value = m.group(2);
            } else if (value.isEmpty() || value.indexOf('$') >= 0) {
                throw new IllegalArgumentException("$" + m.group(1) + " is empty or holds a '$'");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return Optional.of(out.toString());
    }

    /** Whether a {@code picocli.*} system property is set: trimmed quotes, other {@code @file} rules and the like. */
    private static boolean picocliPropertiesSet() {
        for (Object key : System.getProperties().keySet()) {
            if (key instanceof String name && name.startsWith("picocli.")) {
                return true;
            }
        }
        return false;
    }

    /** A plain decimal int: the one spelling on which picocli's integer conversion and this one cannot differ. */
    private static Integer decimal(String value) {
        if (!value.matches("0|[1-9][0-9]{0,8}")) {
            throw new IllegalArgumentException("not a plain decimal: " + value);
        }
        return Integer.valueOf(value);
    }

    private static Map<String, Option> byName() {
        Map<String, Option> map = new HashMap<>();
        for (Option option : OPTIONS) {
            map.put(option.name(), option);
        }
        return Map.copyOf(map);
    }
}
