package dev.palisade.controlplane.policy;

import java.util.List;

/**
 * {@code rules[].from[].source}: who is calling. Values within a field are OR-ed, the fields are
 * AND-ed, and each {@code not*} field excludes the values it lists. At least one field is set.
 *
 * @param principals peer SPIFFE IDs: exact, {@code prefix*} or {@code *} (any authenticated peer)
 * @param notPrincipals peer SPIFFE IDs that must not match, same forms
 * @param namespaces namespaces of the peer's SPIFFE ID ({@code spiffe://<td>/ns/<namespace>/sa/...})
 * @param notNamespaces namespaces that must not match
 * @param ipBlocks addresses or CIDR blocks of the directly connected peer
 * @param notIpBlocks addresses or CIDR blocks that must not match
 */
public record Source(
        List<String> principals,
        List<String> notPrincipals,
        List<String> namespaces,
        List<String> notNamespaces,
        List<String> ipBlocks,
        List<String> notIpBlocks) {

    public Source {
        principals = PolicyValues.requireAll("principals", principals, PolicyValues::principal);
        notPrincipals = PolicyValues.requireAll("notPrincipals", notPrincipals, PolicyValues::principal);
        namespaces = PolicyValues.requireAll("namespaces", namespaces, PolicyValues::namespace);
        notNamespaces = PolicyValues.requireAll("notNamespaces", notNamespaces, PolicyValues::namespace);
        ipBlocks = PolicyValues.requireAll("ipBlocks", ipBlocks, PolicyValues::ipBlock);
        notIpBlocks = PolicyValues.requireAll("notIpBlocks", notIpBlocks, PolicyValues::ipBlock);
        if (principals.isEmpty()
                && notPrincipals.isEmpty()
                && namespaces.isEmpty()
                && notNamespaces.isEmpty()
                && ipBlocks.isEmpty()
                && notIpBlocks.isEmpty()) {
            throw new IllegalArgumentException(
                    "source: at least one field must be set (omit 'from' to match any source)");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .principals(principals)
                .notPrincipals(notPrincipals)
                .namespaces(namespaces)
                .notNamespaces(notNamespaces)
                .ipBlocks(ipBlocks)
                .notIpBlocks(notIpBlocks);
    }

    /** Builds a {@link Source}; every field starts empty. */
    public static final class Builder {
        private List<String> principals = List.of();
        private List<String> notPrincipals = List.of();
        private List<String> namespaces = List.of();
        private List<String> notNamespaces = List.of();
        private List<String> ipBlocks = List.of();
        private List<String> notIpBlocks = List.of();

        private Builder() {}

        public Builder principals(List<String> principals) {
            this.principals = principals;
            return this;
        }

        public Builder notPrincipals(List<String> notPrincipals) {
            this.notPrincipals = notPrincipals;
            return this;
        }

        public Builder namespaces(List<String> namespaces) {
            this.namespaces = namespaces;
            return this;
        }

        public Builder notNamespaces(List<String> notNamespaces) {
            this.notNamespaces = notNamespaces;
            return this;
        }

        public Builder ipBlocks(List<String> ipBlocks) {
            this.ipBlocks = ipBlocks;
            return this;
        }

        public Builder notIpBlocks(List<String> notIpBlocks) {
            this.notIpBlocks = notIpBlocks;
            return this;
        }

        public Source build() {
            return new Source(principals, notPrincipals, namespaces, notNamespaces, ipBlocks, notIpBlocks);
        }
    }
}
