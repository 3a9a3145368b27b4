package dev.palisade.injector.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/** The kinds whose pods get the proxy, and where each keeps its pod template (a JSON pointer; empty for a Pod). */
enum WorkloadKind {
    POD("", "Pod", ""),
    DEPLOYMENT("apps", "Deployment", "/spec/template"),
    STATEFUL_SET("apps", "StatefulSet", "/spec/template"),
    DAEMON_SET("apps", "DaemonSet", "/spec/template"),
    REPLICA_SET("apps", "ReplicaSet", "/spec/template"),
    JOB("batch", "Job", "/spec/template"),
    CRON_JOB("batch", "CronJob", "/spec/jobTemplate/spec/template");

    private final String group;
    private final String kind;
    private final String templatePointer;

    WorkloadKind(String group, String kind, String templatePointer) {
        this.group = group;
        this.kind = kind;
        this.templatePointer = templatePointer;
    }

    String kind() {
        return kind;
    }

    /** Where the pod template (an object with {@code metadata} and {@code spec}) is, from the document root. */
    String templatePointer() {
        return templatePointer;
    }

    /** The kind of a document, by {@code apiVersion}'s group and {@code kind}; empty for anything else. */
    static Optional<WorkloadKind> of(JsonNode document) {
        String apiVersion = document.path("apiVersion").asText("");
        String kind = document.path("kind").asText("");
        int slash = apiVersion.indexOf('/');
        String group = slash < 0 ? "" : apiVersion.substring(0, slash);
        for (WorkloadKind w : values()) {
            if (w.kind.equals(kind) && w.group.equals(group)) {
                return Optional.of(w);
            }
        }
        return Optional.empty();
    }
}
