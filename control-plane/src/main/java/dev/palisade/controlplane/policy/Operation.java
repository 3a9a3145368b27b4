package dev.palisade.controlplane.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code rules[].to[].operation}: what is being called. Values within a field are OR-ed, the fields
 * are AND-ed, and each {@code not*} field excludes the values it lists. At least one field is set.
 *
 * <p>{@link #methods}, {@link #paths} and {@link #hosts} (and their {@code not*} forms) are
 * HTTP-only: a rule using them that could apply to a port declared opaque TCP is refused by the
 * compiler rather than silently skipped or widened.
 *
 * @param methods HTTP methods, upper case, exact
 * @param notMethods methods that must not match
 * @param paths path patterns: {@code /exact}, {@code /prefix*}, {@code *suffix}, {@code *}
 * @param notPaths path patterns that must not match
 * @param ports destination ports, as decimal strings (Istio's form)
 * @param notPorts destination ports that must not match
 * @param hosts authorities: {@code host[:port]} or {@code *.domain}, case-insensitive
 * @param notHosts authorities that must not match
 */
public record Operation(
        List<String> methods,
        List<String> notMethods,
        List<String> paths,
        List<String> notPaths,
        List<String> ports,
        List<String> notPorts,
        List<String> hosts,
        List<String> notHosts) {

    public Operation {
        methods = PolicyValues.requireAll("methods", methods, PolicyValues::method);
        notMethods = PolicyValues.requireAll("notMethods", notMethods, PolicyValues::method);
        paths = PolicyValues.requireAll("paths", paths, PolicyValues::path);
        notPaths = PolicyValues.requireAll("notPaths", notPaths, PolicyValues::path);
        ports = PolicyValues.requireAll("ports", ports, PolicyValues::port);
        notPorts = PolicyValues.requireAll("notPorts", notPorts, PolicyValues::port);
        hosts = PolicyValues.requireAll("hosts", hosts, PolicyValues::host);
        notHosts = PolicyValues.requireAll("notHosts", notHosts, PolicyValues::host);
        if (methods.isEmpty()
                && notMethods.isEmpty()
                && paths.isEmpty()
                && notPaths.isEmpty()
                && ports.isEmpty()
                && notPorts.isEmpty()
                && hosts.isEmpty()
                && notHosts.isEmpty()) {
            throw new IllegalArgumentException(
                    "operation: at least one field must be set (omit 'to' to match any operation)");
        }
    }

    /** The names of the HTTP-only fields this operation sets, in declaration order. */
    public List<String> httpOnlyFields() {
        List<String> fields = new ArrayList<>();
        addIf(fields, "methods", methods);
        addIf(fields, "notMethods", notMethods);
        addIf(fields, "paths", paths);
        addIf(fields, "notPaths", notPaths);
        addIf(fields, "hosts", hosts);
        addIf(fields, "notHosts", notHosts);
        return List.copyOf(fields);
    }

    private static void addIf(List<String> fields, String name, List<String> values) {
        if (!values.isEmpty()) {
            fields.add(name);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .methods(methods)
                .notMethods(notMethods)
                .paths(paths)
                .notPaths(notPaths)
                .ports(ports)
                .notPorts(notPorts)
                .hosts(hosts)
                .notHosts(notHosts);
    }

    /** Builds an {@link Operation}; every field starts empty. */
    public static final class Builder {
        private List<String> methods = List.of();
        private List<String> notMethods = List.of();
        private List<String> paths = List.of();
        private List<String> notPaths = List.of();
        private List<String> ports = List.of();
        private List<String> notPorts = List.of();
        private List<String> hosts = List.of();
        private List<String> notHosts = List.of();

        private Builder() {}

        public Builder methods(List<String> methods) {
            this.methods = methods;
            return this;
        }

        public Builder notMethods(List<String> notMethods) {
            this.notMethods = notMethods;
            return this;
        }

        public Builder paths(List<String> paths) {
            this.paths = paths;
            return this;
        }

        public Builder notPaths(List<String> notPaths) {
            this.notPaths = notPaths;
            return this;
        }

        public Builder ports(List<String> ports) {
            this.ports = ports;
            return this;
        }

        public Builder notPorts(List<String> notPorts) {
            this.notPorts = notPorts;
            return this;
        }

        public Builder hosts(List<String> hosts) {
            this.hosts = hosts;
            return this;
        }

        public Builder notHosts(List<String> notHosts) {
            this.notHosts = notHosts;
            return this;
        }

        public Operation build() {
            return new Operation(methods, notMethods, paths, notPaths, ports, notPorts, hosts, notHosts);
        }
    }
}
