#!/usr/bin/env python3
"""perf/run's analysis, Python 3 standard library only.

  analyze.py h2load OUT LOG      h2load's text output and --log-file -> one "key=value ..." result line
  analyze.py record ROUND TEST CAND LINE CPU_CLIENT CPU_SERVER CLK_TCK RSS_CLIENT RSS_SERVER -> a JSON line
  analyze.py brief               one JSON line (stdin) -> a short progress line
  analyze.py rate RAW TEST FRAC  FRAC of the slowest candidate's req/s in TEST (rounded down to 100)
  analyze.py report RAW          the markdown report of a run's raw results (results.jsonl)
"""
import json
import math
import re
import statistics
import sys

CANDIDATES = ["direct", "palisade", "haproxy", "nginx"]
TESTS = {
    "h1": "HTTP/1.1, fixed connection count (wrk)",
    "h2": "HTTP/2 gRPC-shaped POST, fixed connection count (h2load, h2c prior knowledge)",
    "h1rate": "HTTP/1.1, fixed request rate below saturation (h2load --h1 --rps)",
    "h2rate": "HTTP/2 gRPC-shaped POST, fixed request rate below saturation (h2load --rps)",
    "new": "New connection per request (wrk, Connection: close): handshake-bound",
}


def percentile(sorted_values, p):
    if not sorted_values:
        return 0
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def h2load(out_path, log_path):
    text = open(out_path).read()
    m = re.search(r"finished in ([\d.]+)(m?s)", text)
    if not m:
        sys.exit("h2load gave no result:\n" + text[-2000:])
    duration = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
    req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                    r"(\d+) errored, (\d+) timeout", text)
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    lat = []
    ok = 0
    with open(log_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                lat.append(int(parts[2]))
                if parts[1].startswith("2"):
                    ok += 1
    lat.sort()
    done = int(req.group(3)) if req else len(lat)
    failed = int(req.group(5)) + int(req.group(6)) + int(req.group(7)) if req else 0
    non2xx = sum(int(codes.group(i)) for i in (2, 3, 4)) if codes else 0
    print(f"requests={done} duration_s={duration:.3f} p50_us={percentile(lat, 50)} p99_us={percentile(lat, 99)} "
          f"max_us={lat[-1] if lat else 0} errors={failed} non2xx={non2xx}")


def record(argv):
    rnd, test, cand, line, cpu_c, cpu_s, tck, rss_c, rss_s = argv
    kv = dict(p.split("=") for p in line.split())
    r = {"kind": "load", "round": int(rnd), "test": test, "cand": cand}
    for k, v in kv.items():
        r[k] = float(v) if "." in v else int(v)
    r["rps"] = r["requests"] / r["duration_s"] if r["duration_s"] else 0
    if cand != "direct":
        r["cpu_client_s"] = int(cpu_c) / int(tck)
        r["cpu_server_s"] = int(cpu_s) / int(tck)
        r["rss_client_kb"] = int(rss_c)
        r["rss_server_kb"] = int(rss_s)
    print(json.dumps(r))


def brief():
    r = json.loads(sys.stdin.readline())
    s = (f"{r['test']:<6} {r['cand']:<8} {r['rps']:>9.0f} req/s  p50 {r['p50_us'] / 1000:.2f} ms  "
         f"p99 {r['p99_us'] / 1000:.2f} ms  max {r['max_us'] / 1000:.1f} ms")
    if r.get("errors") or r.get("non2xx"):
        s += f"  errors {r['errors']} non-2xx {r['non2xx']}"
    if "cpu_client_s" in r:
        s += f"  cpu {r['cpu_client_s']:.2f}+{r['cpu_server_s']:.2f} s"
    print(s)


def load_raw(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    return rows


def rate(argv):
    path, test, frac = argv
    loads = [r for r in load_raw(path) if r["kind"] == "load" and r["test"] == test and r["round"] == 1]
    slowest = min(r["rps"] for r in loads)
    print(max(100, int(slowest * float(frac)) // 100 * 100))


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_ms(us):
    return "—" if us is None else f"{us / 1000:.2f} ms"


def ratio(a, b):
    if a is None or b is None or b <= 0 or a < 0:
        return "—"  # a ratio of a negative (direct slower than a proxy, in noise) means nothing
    return f"{a / b:.2f}×"


def report(path):
    rows = load_raw(path)
    machine = next(r for r in rows if r["kind"] == "machine")
    loads = [r for r in rows if r["kind"] == "load"]
    ready = [r for r in rows if r["kind"] == "ready"]
    rates = next((r for r in rows if r["kind"] == "rates"), {})
    flowlog = next((r for r in rows if r["kind"] == "flowlog"), None)
    policies = next((r for r in rows if r["kind"] == "policies"), None)
    cds = next((r for r in rows if r["kind"] == "cds"), None)
    cands = [c for c in CANDIDATES if any(r["cand"] == c for r in loads)]

    def agg(test, cand, key):
        return med([r.get(key) for r in loads if r["test"] == test and r["cand"] == cand])

    out = []
    w = out.append
    w(f"# perf/run {machine['mode']} — {machine['started']}")
    w("")
    w(f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['kernel']}, load average at start "
      f"{machine['loadavg']}, at end {rates.get('loadavg_end', '?')} (shared, noisy: read the ratios, not the "
      f"absolute figures).")
    w(f"- JVM: {machine['java']}. Sidecar flags: `{machine['sidecar_opts']}`."
      + (f" Sidecar TLS groups: `{machine['tls_groups']}`"
         + (" (X25519MLKEM768 first)" if machine['tls_groups'] == 'default' else " (PERF_TLS_GROUPS)") + "."
         if 'tls_groups' in machine else "")
      + (f" Control plane flags: `{machine['cp_opts']}`"
         + (f", at nice {machine['cp_nice']} (PERF_CP_NICE)" if 'cp_nice' in machine else "") + "."
         if machine.get('cp_opts') else ""))
    if cds is not None:
        w("- Sidecars started through `./palisade`; class data sharing archive: "
          + {"off": "none (PERF_CDS=0)",
             "existing": "the launcher's, made before this run",
             "trained": "made by a training start of the server sidecar in this run"}.get(cds["state"], cds["state"])
          + ".")
    w(f"- Proxies: {machine['haproxy']} (nbthread {machine['proxy_threads']} per side), nginx {machine['nginx']} "
      f"({machine['proxy_threads']} workers per side), Palisade sidecars (Netty epoll + BoringSSL, all cores); "
      f"backend: nginx, 1 worker, `return 200` (28-byte body).")
    w(f"- Load: {machine['wrk']}, h2load {machine['h2load']}, {machine['threads']} threads; "
      f"{machine['rounds']} round(s) of {machine['dur']} s per load, interleaved across candidates (order rotated "
      f"each round), after a {machine['warm']} s warm-up each; medians over rounds. Fixed connection count: "
      f"{machine['conns']} (HTTP/2: × {machine['h2_streams']} streams); fixed rates: HTTP/1.1 "
      f"{rates.get('h1', '?')} req/s, HTTP/2 {rates.get('h2', '?')} req/s over {machine['rate_conns']} connections; "
      f"handshake-bound: {machine['new_conns']} connections, each request a new one.")
    if policies:
        w(f"- Palisade: a local control plane, {policies['rules']} authorization rules (one allows the load), "
          f"STRICT mTLS; `--flow-log-dir` passed"
          + (f" — the sidecars wrote {flowlog['files']} file(s), {flowlog['bytes']} bytes" if flowlog else "")
          + ".")
    w("")

    for test, title in TESTS.items():
        if not any(r["test"] == test for r in loads):
            continue
        w(f"## {title}")
        w("")
        w("| candidate | req/s | ×direct | ×haproxy | p50 | p99 | ×direct | ×haproxy | added p99 over direct "
          "| ×haproxy | max | errors |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        d_rps, h_rps = agg(test, "direct", "rps"), agg(test, "haproxy", "rps")
        d_p99, h_p99 = agg(test, "direct", "p99_us"), agg(test, "haproxy", "p99_us")
        h_added = None if h_p99 is None or d_p99 is None else h_p99 - d_p99
        for c in cands:
            rps, p50, p99, mx = (agg(test, c, k) for k in ("rps", "p50_us", "p99_us", "max_us"))
            errs = sum(r.get("errors", 0) + r.get("non2xx", 0) for r in loads if r["test"] == test and r["cand"] == c)
            added = None if p99 is None or d_p99 is None else p99 - d_p99
            w(f"| {c} | {rps:,.0f} | {ratio(rps, d_rps)} | {ratio(rps, h_rps)} | {fmt_ms(p50)} | {fmt_ms(p99)} "
              f"| {ratio(p99, d_p99)} | {ratio(p99, h_p99)} | "
              f"{'—' if c == 'direct' else fmt_ms(added)} | {'—' if c == 'direct' else ratio(added, h_added)} "
              f"| {fmt_ms(mx)} | {errs} |")
        w("")

    w("## CPU seconds per 10,000 requests (proxy processes; client side + server side)")
    w("")
    w("| candidate | test | client side | server side | pair | ×haproxy |")
    w("|---|---|---|---|---|---|")
    for test in TESTS:
        def per10k(c, key):
            vals = [r[key] / r["requests"] * 10000 for r in loads
                    if r["test"] == test and r["cand"] == c and key in r and r["requests"]]
            return med(vals)
        h_pair = None
        if per10k("haproxy", "cpu_client_s") is not None:
            h_pair = per10k("haproxy", "cpu_client_s") + per10k("haproxy", "cpu_server_s")
        for c in cands:
            if c == "direct":
                continue
            cc, cs = per10k(c, "cpu_client_s"), per10k(c, "cpu_server_s")
            if cc is None:
                continue
            w(f"| {c} | {test} | {cc:.3f} | {cs:.3f} | {cc + cs:.3f} | {ratio(cc + cs, h_pair)} |")
    w("")

    w("## RSS after load (VmRSS, MiB; the largest seen after any load; nginx: master + workers)")
    w("")
    w("| candidate | client side | server side | ×haproxy (pair) |")
    w("|---|---|---|---|")

    def rss(c, side):
        vals = [r.get(f"rss_{side}_kb") for r in loads if r["cand"] == c and f"rss_{side}_kb" in r]
        return max(vals) / 1024 if vals else None

    h_rss = (rss("haproxy", "client") or 0) + (rss("haproxy", "server") or 0) if rss("haproxy", "client") else None
    for c in cands:
        if c == "direct" or rss(c, "client") is None:
            continue
        w(f"| {c} | {rss(c, 'client'):.1f} | {rss(c, 'server'):.1f} | "
          f"{ratio(rss(c, 'client') + rss(c, 'server'), h_rss)} |")
    w("")

    if ready:
        w("## Palisade sidecar: time to ready")
        w("")
        w("| sidecar | process start → health /ready | the sidecar's own `ready in` |")
        w("|---|---|---|")
        for r in ready:
            w(f"| {r['side']} | {r['ready_ms']} ms | {r['logged_ms']} ms |")
        w("")

    # Targets of issue 9.
    if "palisade" in cands and "haproxy" in cands:
        w("## Targets (issue 9)")
        w("")
        w("| target | palisade | haproxy | verdict | margin |")
        w("|---|---|---|---|---|")

        def added(test, c):
            a, d = agg(test, c, "p99_us"), agg(test, "direct", "p99_us")
            return None if a is None or d is None else a - d

        for test, name in (("h1rate", "HTTP/1.1 at the fixed rate"), ("h2rate", "HTTP/2 at the fixed rate"),
                           ("h1", "HTTP/1.1 at 16 connections"), ("h2", "HTTP/2 at 16 connections")):
            p, h = added(test, "palisade"), added(test, "haproxy")
            if p is None or h is None:
                continue
            ok = p <= h
            w(f"| added p99 over direct ≤ HAProxy's, {name} | {fmt_ms(p)} | {fmt_ms(h)} | "
              f"{'met' if ok else 'missed'} | {fmt_ms(abs(p - h))} {'under' if ok else 'over'} "
              f"({ratio(p, h)}) |")
        for test, name in (("h1", "HTTP/1.1"), ("h2", "HTTP/2")):
            p, h = agg(test, "palisade", "rps"), agg(test, "haproxy", "rps")
            ok = p >= h
            w(f"| max req/s ≥ HAProxy's, {name} | {p:,.0f} | {h:,.0f} | {'met' if ok else 'missed'} | "
              f"{ratio(p, h)} of HAProxy's |")
        for side in ("client", "server"):
            v = rss("palisade", side)
            ok = v <= 64
            w(f"| RSS ≤ 64 MiB, {side} sidecar | {v:.1f} MiB | — | {'met' if ok else 'missed'} | "
              f"{abs(64 - v):.1f} MiB {'under' if ok else 'over'} |")
        for r in ready:
            ok = r["ready_ms"] <= 1000
            w(f"| ready ≤ 1 s from process start, {r['side']} sidecar | {r['ready_ms']} ms | — | "
              f"{'met' if ok else 'missed'} | {abs(1000 - r['ready_ms'])} ms {'under' if ok else 'over'} |")
        p, h = agg("new", "palisade", "rps"), agg("new", "haproxy", "rps")
        ok = p >= h
        w(f"| new mTLS connections/s ≥ HAProxy's | {p:,.0f} | {h:,.0f} | {'met' if ok else 'missed'} | "
          f"{ratio(p, h)} of HAProxy's |")
        w("")
    print("\n".join(out))


def main():
    cmd = sys.argv[1]
    if cmd == "h2load":
        h2load(sys.argv[2], sys.argv[3])
    elif cmd == "record":
        record(sys.argv[2:])
    elif cmd == "brief":
        brief()
    elif cmd == "rate":
        rate(sys.argv[2:])
    elif cmd == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
