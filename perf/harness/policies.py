#!/usr/bin/env python3
"""Writes the palisade pair's policy directory: two Workload objects (client, server), STRICT mTLS, and 50
authorization rules on the server, of which exactly one lets the client's SPIFFE ID through.

Usage: policies.py OUT_DIR TRUST_DOMAIN CLIENT_ADDR SERVER_ADDR H1_PORT H2_PORT

The 49 other rules look like a real namespace's: one DENY for admin paths (evaluated first), then ALLOW rules
for other principals and namespaces, each with methods, two paths and a port, so that the engine has work to do
before it reaches the client's rule, which comes last.
"""
import json
import os
import sys


def main(argv):
    out, td, client_addr, server_addr, h1, h2 = argv[1:7]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "workloads.yaml"), "w") as f:
        f.write(f"""# The load test's two workloads: the client side and the server side of the palisade pair.
apiVersion: palisade.dev/v1
kind: Workload
metadata: {{name: client, namespace: perf}}
spec:
  serviceAccount: client
  labels: {{app: client}}
  address: {client_addr}
  ports:
  - {{name: http, port: 18090, protocol: HTTP}}
---
apiVersion: palisade.dev/v1
kind: Workload
metadata: {{name: server, namespace: perf}}
spec:
  serviceAccount: server
  labels: {{app: server}}
  address: {server_addr}
  ports:
  - {{name: http, port: {h1}, protocol: HTTP}}
  - {{name: grpc, port: {h2}, protocol: GRPC}}
""")
    with open(os.path.join(out, "peer-authentication.yaml"), "w") as f:
        f.write("""apiVersion: security.palisade.dev/v1
kind: PeerAuthentication
metadata: {name: default, namespace: perf}
spec:
  mtls: {mode: STRICT}
""")
    with open(os.path.join(out, "deny-admin.yaml"), "w") as f:
        f.write("""apiVersion: security.palisade.dev/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin, namespace: perf}
spec:
  action: DENY
  rules:
  - to:
    - operation: {paths: ["/admin*"]}
""")
    rules = 1
    methods = [["GET"], ["GET", "HEAD"], ["POST"], ["GET", "POST"], ["PUT", "DELETE"]]
    for p in range(6):
        lines = [
            "apiVersion: security.palisade.dev/v1",
            "kind: AuthorizationPolicy",
            f"metadata: {{name: svc-{p}, namespace: perf}}",
            "spec:",
            "  selector: {matchLabels: {app: server}}",
            "  action: ALLOW",
            "  rules:",
        ]
        for r in range(8):
            n = p * 8 + r
            src = (f'principals: ["spiffe://{td}/ns/team-{n % 7}/sa/svc-{n}"]' if n % 3
                   else f'namespaces: ["team-{n % 5}"]')
            port = h1 if n % 2 else h2
            lines += [
                "  - from:",
                f"    - source: {{{src}}}",
                "    to:",
                f"    - operation: {{methods: {json.dumps(methods[n % 5])}, paths: [\"/api/svc{n}/*\", \"/v{n % 3}/items\"],"
                f" ports: [\"{port}\"]}}",
            ]
            rules += 1
        with open(os.path.join(out, f"svc-{p}.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "zz-client.yaml"), "w") as f:
        f.write(f"""# The rule the load passes: the client's identity, GET of / and the gRPC-shaped POST.
apiVersion: security.palisade.dev/v1
kind: AuthorizationPolicy
metadata: {{name: zz-client, namespace: perf}}
spec:
  selector: {{matchLabels: {{app: server}}}}
  action: ALLOW
  rules:
  - from:
    - source: {{principals: ["spiffe://{td}/ns/perf/sa/client"]}}
    to:
    - operation: {{methods: ["GET", "POST"], paths: ["/", "/perf.Echo/*"], ports: ["{h1}", "{h2}"]}}
""")
    rules += 1
    print(rules)


if __name__ == "__main__":
    main(sys.argv)
