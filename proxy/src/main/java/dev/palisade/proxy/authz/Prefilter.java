package dev.palisade.proxy.authz;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A necessary condition on a request's method and path, derived from a policy's permissions when it is compiled:
 * a request that fails it cannot match the policy, so the full matcher tree is never walked for it. Most rules name
 * a method and a literal path or prefix, so on a scan of many policies almost every non-candidate is dismissed with
 * a hash lookup and a few {@code startsWith} calls.
 *
 * <p>Derived conservatively: only from positive (not negated), case-sensitive {@code :method} exact matchers and
 * {@code url_path} exact / prefix matchers. An AND needs what any operand needs; an OR needs the union of what each
 * operand needs, and nothing when any operand needs nothing. {@link #NONE} admits everything. It never changes a
 * decision: it only skips matchers that would have failed.
 */
final class Prefilter {
    static final Prefilter NONE = new Prefilter(null, null, null);

    private final @Nullable Set<String> methods;
    private final @Nullable Set<String> exactPaths;
    private final @Nullable List<String> pathPrefixes;

    private Prefilter(
            @Nullable Set<String> methods, @Nullable Set<String> exactPaths, @Nullable List<String> pathPrefixes) {
        this.methods = methods == null ? null : Set.copyOf(methods);
        this.exactPaths = exactPaths == null ? null : Set.copyOf(exactPaths);
        this.pathPrefixes = pathPrefixes == null ? null : List.copyOf(pathPrefixes);
    }

    static Prefilter method(String method) {
        return new Prefilter(Set.of(method), null, null);
    }

    static Prefilter exactPath(String path) {
        return new Prefilter(null, Set.of(path), List.of());
    }

    static Prefilter pathPrefix(String prefix) {
        return new Prefilter(null, Set.of(), List.of(prefix));
    }

    private boolean constrainsPath() {
        return exactPaths != null;
    }

    /** What an AND of {@code operands} needs: each constraint from the first operand that has one. */
    static Prefilter and(List<Prefilter> operands) {
        Set<String> methods = null;
        Set<String> exact = null;
        List<String> prefixes = null;
        for (Prefilter p : operands) {
            if (methods == null && p.methods != null) {
                methods = p.methods;
            }
            if (exact == null && p.constrainsPath()) {
                exact = p.exactPaths;
                prefixes = p.pathPrefixes;
            }
        }
        return methods == null && exact == null ? NONE : new Prefilter(methods, exact, prefixes);
    }

    /** What an OR of {@code operands} needs: the union, for each constraint every operand has. */
    static Prefilter or(List<Prefilter> operands) {
        if (operands.isEmpty()) {
            return NONE;
        }
        Set<String> methods = new HashSet<>();
        Set<String> exact = new HashSet<>();
        List<String> prefixes = new ArrayList<>();
        boolean allMethods = true;
        boolean allPaths = true;
        for (Prefilter p : operands) {
            if (p.methods == null) {
                allMethods = false;
            } else {
                methods.addAll(p.methods);
            }
            if (!p.constrainsPath()) {
                allPaths = false;
            } else {
                exact.addAll(p.exactPaths);
                prefixes.addAll(p.pathPrefixes == null ? List.of() : p.pathPrefixes);
            }
        }
        if (!allMethods && !allPaths) {
            return NONE;
        }
        return new Prefilter(allMethods ? methods : null, allPaths ? exact : null, allPaths ? prefixes : null);
    }

    /** Whether {@code request} may match; false only when it certainly cannot. */
    boolean admits(AuthzRequest request) {
        if (methods == null && exactPaths == null) {
            return true;
        }
        NormalizedRequest http = request.http();
        if (http == null) {
            return false; // a TCP connection has no method or path: those matchers never match it
        }
        if (methods != null && !methods.contains(http.method())) {
            return false;
        }
        if (exactPaths != null) {
            String path = http.path();
            if (exactPaths.contains(path)) {
                return true;
            }
            List<String> prefixes = pathPrefixes == null ? List.of() : pathPrefixes;
            for (int i = 0; i < prefixes.size(); i++) {
                if (path.startsWith(prefixes.get(i))) {
                    return true;
                }
            }
            return false;
        }
        return true;
    }
}
