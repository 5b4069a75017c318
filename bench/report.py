#!/usr/bin/env python3
"""report.py COMPARE.jsonl [--out bench/RESULTS.md] [--no-write]

Reads the JSON lines of ONE bench/compare.sh run (a "compare-meta" line, one line per run with
"phase"/"lb"/"rep" added to run.sh's JSON, a "compare-end" line) and writes RESULTS.md:
header (date, machine, commit, command line), the side-by-side table (a column per LB, medians
of the repetitions with [min–max]), the per-run detail tables in the format of
harness/results/kamailio-reference.md, and the raw JSON lines. The side-by-side table is also
printed to stdout. Python 3 standard library only."""
import argparse, json, os, statistics, sys
from collections import OrderedDict

NAMES = {
    "kam-packaged": "Kamailio packaged",
    "kam-tuned": "Kamailio tuned",
    "siplb": "siplb native UDP",
    "siplb-dgram": "siplb on node:dgram",
}
SUBTITLES = {
    "kam-packaged": "2 children, qm, 256 KB buf",
    "kam-tuned": "2 children, `-x fm`, 4 MB buf",
    "siplb": "1 Node process, recvmmsg/sendmmsg accelerator",
    "siplb-dgram": "1 Node process, node:dgram",
}


# ------------------------------------------------------------------ formatting
def num(x, nd=2):
    if x is None:
        return "–"
    r = round(float(x), nd)
    if r == int(r):
        return str(int(r))
    return f"{r:.{nd}f}".rstrip("0").rstrip(".")


def cell(values, nd=2, scale=1.0):
    """median [min–max] of the non-None values."""
    v = [x * scale for x in values if x is not None]
    if not v:
        return "–"
    s = num(statistics.median(v), nd)
    if len(v) > 1 and num(min(v), nd) != num(max(v), nd):
        s += f" [{num(min(v), nd)}–{num(max(v), nd)}]"
    return s


def get(r, path):
    """r['a']['b'] for path 'a.b'; None when missing."""
    keys = path.split(".")
    for i, k in enumerate(keys):
        if not isinstance(r, dict):
            return None
        rest = ".".join(keys[i:])
        if rest in r:          # a key with a dot in it, e.g. pcap's "all_p99.9_us"
            return r[rest]
        r = r.get(k)
    return r


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


# ------------------------------------------------------------------ load
def load(path):
    meta, end, runs, raw = {}, {}, [], []
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        raw.append(line)
        d = json.loads(line)
        if d.get("type") == "compare-meta":
            meta = d
        elif d.get("type") == "compare-end":
            end = d
        elif "phase" in d:
            runs.append(d)
    return meta, end, runs, raw


def lb_order(meta, runs):
    order = (meta.get("params") or {}).get("LBS", "").split()
    for r in runs:
        if r.get("lb") and r["lb"] not in order:
            order.append(r["lb"])
    return order or ["kam-packaged", "kam-tuned", "siplb", "siplb-dgram"]


def of(runs, phase, lb):
    return [r for r in runs if r.get("phase") == phase and r.get("lb") == lb and "error" not in r]


# ------------------------------------------------------------------ the side-by-side table
def sweep_cell(runs, lb, rates_param):
    rs = of(runs, "sweep", lb)
    if not rs:
        return "– (not run)"
    by = OrderedDict()
    for r in sorted(rs, key=lambda r: r["rate"]):
        by.setdefault(r["rate"], []).append(r)
    best, first_fail = None, None
    for rate, g in by.items():
        if any(x.get("ok") for x in g):
            best = (rate, sum(1 for x in g if x.get("ok")), len(g))
        else:
            first_fail = (rate, len(g))
            break
    top = max(int(x) for x in rates_param.split()) if rates_param else None
    if best is None:
        rate, n = first_fail
        return f"< {rate} (0/{n} ok at {rate})"
    s = f"{best[0]} ({best[1]}/{best[2]} ok)"
    if first_fail:
        s += f"; {first_fail[0]}: 0/{first_fail[1]} ok"
    elif top is not None and best[0] >= top:
        s = "≥ " + s + " — top of RATES"
    return s


def summary(meta, runs):
    p = meta.get("params") or {}
    lbs = lb_order(meta, runs)
    cpu_rate = p.get("CPU_RATE", 1000)
    fo_rate, kill_at, kill_port = p.get("FO_RATE", 1000), p.get("KILL_AT", 10), p.get("KILL_PORT", 5072)
    factor = p.get("OVERLOAD_FACTOR", 1.5)
    rows = []

    def row(name, fn):
        rows.append([name] + [fn(lb) for lb in lbs])

    def col(phase, path, nd=2, scale=1.0):
        return lambda lb: cell([get(r, path) for r in of(runs, phase, lb)], nd, scale)

    def okfrac(phase):
        def f(lb):
            rs = of(runs, phase, lb)
            return f"{sum(1 for r in rs if r.get('ok'))}/{len(rs)}" if rs else "–"
        return f

    row(f"**LB CPU-seconds per 1000 calls** @ {cpu_rate} cps", col("cpu", "lb_cpu_s_per_1k_calls", 3))
    row(f"LB CPU, % of one core @ {cpu_rate} cps", col("cpu", "lb_cpu_pct_of_one_core", 1))
    row(f"runs ok @ {cpu_rate} cps (failed calls %)",
        lambda lb: f"{okfrac('cpu')(lb)} ({cell([r.get('failed_pct') for r in of(runs, 'cpu', lb)], 3)})"
        if of(runs, "cpu", lb) else "–")
    row("**Highest passing rate** (cps; < 0.1 % failed, < 0.01 retrans/call)",
        lambda lb: sweep_cell(runs, lb, p.get("RATES", "")))
    row(f"**Time inside the LB per request, p50** (µs) @ {cpu_rate} cps", col("pcap", "pcap.req_p50_us", 0))
    row("Time inside the LB per request, p99 (µs)", col("pcap", "pcap.req_p99_us", 0))
    row("Time inside the LB per response, p50 / p99 (µs)",
        lambda lb: f"{cell([get(r, 'pcap.rsp_p50_us') for r in of(runs, 'pcap', lb)], 0)} / "
                   f"{cell([get(r, 'pcap.rsp_p99_us') for r in of(runs, 'pcap', lb)], 0)}"
        if of(runs, "pcap", lb) else "–")
    row(f"**Memory: peak Pss** (MB) @ {cpu_rate} cps", col("cpu", "lb_pss_sum_peak_kb", 1, 1 / 1024))
    row(f"Memory: peak RSS (MB) @ {cpu_rate} cps ¹",
        lambda lb: "n/a ¹" if lb.startswith("kam") else cell([r.get("lb_rss_sum_peak_kb") for r in of(runs, "cpu", lb)], 1, 1 / 1024))

    def anon(lb):
        rs = of(runs, "cpu", lb)
        a = cell([r.get("lb_rss_anon_sum_peak_kb") for r in rs], 1, 1 / 1024)
        if not lb.startswith("kam") or a == "–":
            return a
        return f"{a} + shm {cell([r.get('lb_rss_shmem_max_peak_kb') for r in rs], 1, 1 / 1024)}"
    row(f"Memory: peak RssAnon (MB) @ {cpu_rate} cps ³", anon)
    row(f"Memory: peak RssFile (MB) @ {cpu_rate} cps ³",
        lambda lb: "n/a ³" if lb.startswith("kam") else cell([r.get("lb_rss_file_sum_peak_kb") for r in of(runs, "cpu", lb)], 1, 1 / 1024))

    def peak_all(lb):
        rs = [r for r in runs if r.get("lb") == lb and "error" not in r]
        pss = [r.get("lb_pss_sum_peak_kb") for r in rs if r.get("lb_pss_sum_peak_kb")]
        rss = [r.get("lb_rss_sum_peak_kb") for r in rs if r.get("lb_rss_sum_peak_kb")]
        if not pss:
            return "–"
        s = f"Pss {num(max(pss) / 1024, 1)}"
        if not lb.startswith("kam") and rss:
            s += f" / RSS {num(max(rss) / 1024, 1)}"
        return s
    row("Memory: highest peak over all runs of this compare (MB)", peak_all)

    fo = "failover"
    row(f"**Failover** ({fo_rate} cps, backend {kill_port} SIGKILLed at {kill_at} s): failed calls",
        lambda lb: cell([(r.get("failed") or 0) + (r.get("unfinished") or 0) for r in of(runs, fo, lb)], 0))
    row("Failover: INVITE p99 (ms)", col(fo, "rt_invite_p99_ms", 0))
    row("Failover: new INVITEs sent to the dead backend", col(fo, "failover.new_invites_after_kill", 0))
    row("Failover: last new INVITE to the dead backend, s after the kill", col(fo, "failover.last_new_invite_after_kill_s", 2))

    ov = "overload"
    row(f"**Overload** ({num(factor)} × own highest passing rate): target cps → answered calls/s",
        lambda lb: (f"{num(of(runs, ov, lb)[0].get('rate'), 0)} → {cell([r.get('achieved_cps') for r in of(runs, ov, lb)], 0)}"
                    if of(runs, ov, lb) else "– (not run)"))
    row("Overload: failed calls %", col(ov, "failed_pct", 2))
    row("Overload: 503 responses received by the UAC (on the wire)", col(ov, "uac_rx_503", 0))
    row("Overload: shedding episodes (siplb's admission control, from its log)",
        lambda lb: "n/a" if lb.startswith("kam") else col(ov, "lb_shed_events", 0)(lb))
    row("Overload: backends marked down (health → down events)", col(ov, "lb_health_down_events", 0))
    row(f"noise: machine busy before the {cpu_rate} cps runs (%) / other CPU (s) ²",
        lambda lb: (f"{cell([r.get('pre_busy_pct') for r in of(runs, 'cpu', lb)], 1)} / "
                    f"{cell([r.get('other_cpu_s') for r in of(runs, 'cpu', lb)], 1)}") if of(runs, "cpu", lb) else "–")

    header = [""] + [f"{NAMES.get(lb, lb)} ({SUBTITLES.get(lb, '')})" if lb in SUBTITLES else lb for lb in lbs]
    return table(header, rows)


FOOTNOTES = """\
Medians of the repetitions, [min–max] when they differ. ¹ RSS summed over Kamailio's 7
processes counts the shared memory once per process, so only Pss (proportional set size: shared
pages divided among the processes that map them) is a fair total for Kamailio; siplb is one
process, so its RSS and Pss are both meaningful. ² `pre_busy_pct` is how busy the machine was
just before each run (run.sh waits up to QUIET_WAIT_S for < 15 %), `other_cpu_s` is CPU used
during the run by anything but the LB, the UAC and the backends (incl. softirq of our packets):
large values mean the figures are disturbed. Time inside the LB is from a 3 s loopback capture:
datagram into the LB port → first datagram the LB sends for the same transaction. Highest
passing rate: the sweep goes up RATES and stops an LB at the first rate where no repetition is
ok; the cell is the last rate with an ok repetition (ok repetitions / repetitions), then the
rate that stopped it. Overload: 503s are counted on the wire (BPF filter on datagrams to the
UAC port starting `SIP/2.0 503 `); down events are 'backend health changed' to 'down' in the
siplb log, `DS-EVENT down` lines in the Kamailio log, during the run. ³ VmRSS = RssAnon +
RssFile + RssShmem (/proc/PID/status). RssAnon: anonymous pages (for siplb the V8 heap, malloc
arenas, stacks): what the LB costs the host beyond shared page cache. RssFile: file-backed
pages (for siplb ~54 MB of the Node binary, plus libraries): clean page cache, shared with
every process that maps the same file and dropped first under memory pressure. For Kamailio
RssAnon is summed over its processes (their private pkg memory; a page a child still shares
copy-on-write with the parent it forked from counts in each, so the sum is an upper bound) and
"+ shm" is its shared memory pool (RssShmem, mapped in every process, counted once: the
largest process's); its RssFile would count the same binary pages once per process (n/a).
Each peak is the highest of its own series (0.25 s samples), so RssAnon + RssFile need not add
up to the RSS row; runs from before these columns existed show –. See bench/README.md."""


# ------------------------------------------------------------------ per-run detail
def detail(runs):
    groups = OrderedDict()
    for r in runs:
        if "error" in r:
            continue
        groups.setdefault((r["label"], r["rate"]), []).append(r)
    out = []

    def med(rs, k, nd=2, scale=1.0):
        return cell([get(r, k) for r in rs], nd, scale)

    rows = []
    for (label, rate), rs in groups.items():
        ok = sum(1 for r in rs if r.get("ok"))
        haslb = rs[0].get("lb_pss_sum_peak_kb") is not None
        rows.append([label, rate, len(rs), ok, med(rs, "failed_pct", 3), med(rs, "retrans_per_call", 4),
                     med(rs, "achieved_cps", 0), f"{med(rs, 'rt_invite_p50_ms', 0)} / {med(rs, 'rt_invite_p99_ms', 0)}",
                     med(rs, "lb_cpu_s_per_1k_calls", 3), med(rs, "lb_cpu_pct_of_one_core", 1),
                     med(rs, "lb_pss_sum_peak_kb", 1, 1 / 1024) if haslb else "-",
                     med(rs, "lb_rss_sum_peak_kb", 1, 1 / 1024) if haslb else "-",
                     med(rs, "lb_rss_anon_sum_peak_kb", 1, 1 / 1024) if haslb else "-",
                     med(rs, "machine_busy_pct", 1), med(rs, "other_cpu_s", 1)])
    out.append(table(["label", "cps", "n", "ok", "failed %", "retrans/call", "achieved cps", "INVITE p50/p99 ms",
                      "LB CPU s/1k calls", "LB % core", "LB PSS MB", "LB RSS-sum MB", "LB RssAnon-sum MB", "busy %", "other CPU s"], rows))

    pc = [(k, [r for r in rs if r.get("pcap")]) for k, rs in groups.items()]
    pc = [(k, rs) for k, rs in pc if rs]
    if pc:
        out.append("\nLB transit latency from pcap (µs, median of runs [min–max]):\n")
        out.append(table(["label", "cps", "n", "req p50", "req p90", "req p99", "rsp p50", "rsp p99", "all p99.9",
                          "not fwd in capture"],
                         [[label, rate, len(rs), med(rs, "pcap.req_p50_us", 0), med(rs, "pcap.req_p90_us", 0),
                           med(rs, "pcap.req_p99_us", 0), med(rs, "pcap.rsp_p50_us", 0), med(rs, "pcap.rsp_p99_us", 0),
                           med(rs, "pcap.all_p99.9_us", 0), med(rs, "pcap.not_forwarded_in_capture", 0)]
                          for (label, rate), rs in pc]))
        kinds = [k for k in ("INVITE", "ACK", "BYE", "100", "180", "200")
                 if any(get(r, f"pcap.by_kind.{k}.n") for _, rs in pc for r in rs)]
        if kinds:
            out.append("\nLB transit latency by message kind, p50 µs (median of runs) and, in brackets, how many "
                       "datagrams entered the LB in the 200 µs before it (median): sipp sends each tick's BYEs and "
                       "new INVITEs in one burst, ACKs as soon as the 200 arrives.\n")
            out.append(table(["label", "cps"] + kinds,
                             [[label, rate] + [f"{med(rs, f'pcap.by_kind.{k}.p50_us', 0)} "
                                               f"({med(rs, f'pcap.by_kind.{k}.queued_ahead_p50', 0)})" for k in kinds]
                              for (label, rate), rs in pc]))

    fo = [r for r in runs if r.get("phase") == "failover" and "error" not in r]
    if fo:
        out.append("\nFailover (one backend SIGKILLed mid-run):\n")
        out.append(table(["label", "cps", "run", "failed calls", "unfinished", "retrans", "INVITEs ≥400 ms",
                          "INVITE p99 ms", "new INVITEs to dead backend", "last new INVITE after kill (s)",
                          "last request after kill (s)", "health down events"],
                         [[r["label"], r["rate"], r.get("rep"), r.get("failed"), r.get("unfinished"), r.get("retransmissions"),
                           r.get("rt_invite_over_400ms"), num(r.get("rt_invite_p99_ms"), 0),
                           get(r, "failover.new_invites_after_kill"), get(r, "failover.last_new_invite_after_kill_s"),
                           get(r, "failover.last_request_after_kill_s"), r.get("lb_health_down_events")] for r in fo]))

    ov = [r for r in runs if r.get("phase") == "overload" and "error" not in r]
    if ov:
        out.append("\nOverload (each LB at a multiple of its own highest passing rate):\n")
        out.append(table(["label", "base cps", "cps", "run", "achieved cps", "failed %", "failed calls", "unfinished",
                          "unexpected msg", "retrans/call", "503 rx at UAC (wire / sipp errors)", "health down events",
                          "shed episodes", "INVITE p50/p99 ms",
                          "LB % core", "busy %"],
                         [[r["label"], r.get("overload_base_rate"), r["rate"], r.get("rep"), num(r.get("achieved_cps"), 0),
                           num(r.get("failed_pct"), 3), r.get("failed"), r.get("unfinished"), r.get("failed_unexpected_msg"),
                           num(r.get("retrans_per_call"), 4), f"{r.get('uac_rx_503')} / {r.get('uac_unexpected_503')}",
                           r.get("lb_health_down_events"), r.get("lb_shed_events", "n/a"),
                           f"{num(r.get('rt_invite_p50_ms'), 0)} / {num(r.get('rt_invite_p99_ms'), 0)}",
                           num(r.get("lb_cpu_pct_of_one_core"), 1), num(r.get("machine_busy_pct"), 1)] for r in ov]))
    return "\n".join(out)


def warnings(meta, runs, quiet_pct=15):
    w = []
    errs = [r for r in runs if "error" in r]
    for r in errs:
        w.append(f"run failed: {r.get('phase')} {r.get('lb')} rep {r.get('rep')} at {r.get('rate')} cps: {r['error']}")
    noisy = [r for r in runs if (r.get("pre_busy_pct") or 0) > quiet_pct]
    if noisy:
        w.append(f"{len(noisy)} of {len(runs)} runs started on a machine more than {quiet_pct} % busy "
                 f"(pre_busy_pct up to {max(r['pre_busy_pct'] for r in noisy)} %): those figures are disturbed")
    sat = [r for r in runs if r.get("phase") != "overload" and r.get("achieved_cps") is not None
           and r.get("rate") and r["achieved_cps"] < 0.95 * r["rate"]]
    if sat:
        w.append(f"{len(sat)} run(s) outside the overload phase reached < 95 % of the target call rate: the UAC "
                 "or the machine saturated, or calls failed fast (achieved_cps counts calls that got a 200)")
    shed = [r for r in runs if r.get("phase") != "overload" and r.get("lb_shed_events")]
    if shed:
        w.append(f"siplb shed new calls with 503 (admission control) in {len(shed)} runs outside the overload phase: "
                 + ", ".join(f"{r['phase']} {r['rate']} cps rep {r.get('rep')} ({r.get('uac_unexpected_503')} × 503)" for r in shed[:6]))
    lbs = sorted({r.get("lb") for r in runs if r.get("phase") == "sweep"})
    for lb in lbs:
        c = sweep_cell(runs, lb, (meta.get("params") or {}).get("RATES", ""))
        if c.startswith("≥"):
            w.append(f"the sweep never failed for {lb}: its highest passing rate is a lower bound (raise RATES), "
                     "and its overload rate is a multiple of that bound")
    newer = meta.get("siplb_src_newer_than_dist")
    if newer:
        w.append("siplb's dist/ is older than some of src/ (e.g. " + ", ".join(x.split("/src/", 1)[-1].join(("src/", "")) for x in newer[:3])
                 + "): run `npm run build` before comparing")
    if meta.get("git_dirty_files"):
        w.append(f"the working tree had {meta['git_dirty_files']} uncommitted changes")
    if (meta.get("params") or {}).get("QUICK") == "1":
        w.append("QUICK=1 smoke run: tiny rates and durations, not a measurement")
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jsonl")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"))
    ap.add_argument("--no-write", action="store_true", help="only print the table")
    a = ap.parse_args()
    meta, end, runs, raw = load(a.jsonl)
    if not runs:
        sys.exit(f"{a.jsonl}: no runs")
    summ = summary(meta, runs)
    print(summ)
    if a.no_write:
        return
    p = meta.get("params") or {}
    dur = end.get("duration_s")
    md = [
        "# siplb vs Kamailio: side-by-side benchmark",
        "",
        f"Generated by `bench/report.py` from `{os.path.relpath(os.path.abspath(a.jsonl), os.path.dirname(os.path.abspath(a.out)))}`"
        " (one `bench/compare.sh` run). How to read it: `bench/README.md`.",
        "",
        f"- **date**: {meta.get('date_utc', '?')} ({meta.get('date_local', '')})"
        + (f", took {dur // 60} min {dur % 60} s, {end.get('runs')} runs" if dur is not None else ", did not finish"),
        f"- **machine**: {meta.get('nproc')} CPUs (nproc {meta.get('nproc_online')}), {meta.get('cpu_model')}, "
        f"{num((meta.get('mem_total_kb') or 0) / 1048576, 1)} GB RAM; kernel `{meta.get('uname') or meta.get('kernel')}`",
        f"- **software**: node {meta.get('node')}; {meta.get('kamailio')}; {meta.get('sipp')}; {meta.get('tcpdump')}",
        f"- **commit**: `{meta.get('git_commit')}` ({meta.get('git_describe', '')})"
        + (f", {meta['git_dirty_files']} uncommitted changes in the working tree" if meta.get("git_dirty_files") else ", clean tree")
        + f"; siplb dist built {meta.get('siplb_dist_mtime')}; config `{os.path.basename(meta.get('siplb_config') or '')}`",
        f"- **command**: `{meta.get('command')}`",
        "- **parameters**: " + ", ".join(f"{k}={v}" for k, v in p.items() if v not in ("", None)),
        "- **method**: all LBs on the same machine in the same run, alternating (one LB started, one run, "
        "stopped; next LB), same 3 sipp UAS backends (127.0.0.1:5071-5073) and sipp UAC, loopback only.",
        "",
    ]
    w = warnings(meta, runs)
    if w:
        md += ["**Warnings**", ""] + [f"- {x}" for x in w] + [""]
    md += ["## Side by side", "", summ, "", FOOTNOTES, "",
           "## Per-run detail", "",
           "Grouped by label (`<lb>-<phase>`) and rate, medians [min–max], in the format of "
           "`harness/results/kamailio-reference.md`.", "",
           detail(runs), "",
           "## Raw JSON lines", "",
           "```jsonl", *raw, "```", ""]
    with open(a.out, "w") as f:
        f.write("\n".join(md))
    print(f"\nwrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
