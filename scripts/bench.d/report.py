#!/usr/bin/python3
"""Writes BENCHMARKS.md and docs/bench/*.png from what scripts/bench measured.

    report.py RESDIR CDFDIR DIAGDIR OUTDIR

RESDIR holds meta (key=value), results.tsv (single and concurrent uploads) and latency.tsv;
CDFDIR the wrk percentile dumps; DIAGDIR perf and strace output.  Can be re-run on its own
to rewrite the report from the same measurements.  Plots are drawn with gnuplot (pngcairo).
"""
import os
import re
import subprocess
import sys
from collections import defaultdict

# the repository (scripts/bench.d/..): where the kept sections are

MiB = 1 << 20
GiB = 1 << 30

LABEL = {
    "dav16k": "nginx DAV `PUT`, `client_body_buffer_size 16k` (its default) + `curl -T`",
    "dav64k": "nginx DAV `PUT`, `client_body_buffer_size 64k` + `curl -T`",
    "dav": "nginx DAV `PUT`, `client_body_buffer_size 1m` + `curl -T`",
    "dav-h2": "nginx DAV `PUT`, `client_body_buffer_size 1m`, HTTP/2 (h2c) + `curl -T`",
    "bu": "bigupload + `curl -T`",
    "bu-crc32c": "bigupload + `curl -T`, `bigupload_digest crc32c`",
    "bu-off": "bigupload + `curl -T`, `bigupload_digest off`",
    "bu-ring": "bigupload + `curl -T`, `bigupload_splice off` (the ring, not the zero-copy path)",
    "bu-off-ring": "bigupload + `curl -T`, `bigupload_digest off`, `bigupload_splice off`",
    "bu-bgclient": "bigupload + bgclient (sha256 verified end to end)",
    "bu-bgclient-none": "bigupload + bgclient `--digest none`",
    "bu-h2": "bigupload + `curl -T`, HTTP/2 (h2c)",
    "bu-fsync": "bigupload + `curl -T`, `bigupload_fsync on`",
    "aiohttp": "aiohttp reference (`iter_chunked` → file) + `curl -T`",
    "dd": "ceiling: `dd bs=1M` into the same filesystem",
    "socket": "ceiling: `socat` → loopback TCP → sink",
    "sink-http": "ceiling: `curl -T` → discarding HTTP sink",
    "dav+sha": "probe: DAV 1m while `openssl dgst -sha256` hashes the same bytes alongside (its CPU is in neither column)",
    "bu-idle": "bigupload worker, idle",
    "dav-idle": "DAV worker, idle",
}
SHORT = {
    "dav16k": "DAV 16k", "dav64k": "DAV 64k", "dav": "DAV 1m", "dav-h2": "DAV 1m\\nHTTP/2",
    "bu": "bigupload\\ncurl", "bu-crc32c": "bigupload\\ncrc32c", "bu-off": "bigupload\\nno digest",
    "bu-ring": "bigupload\\nring", "bu-off-ring": "bigupload\\nring, no digest",
    "bu-bgclient": "bigupload\\nbgclient", "bu-bgclient-none": "bigupload\\nbgclient none",
    "bu-h2": "bigupload\\nHTTP/2", "bu-fsync": "bigupload\\nfsync", "aiohttp": "aiohttp",
    "dd": "dd", "socket": "socket", "sink-http": "curl→sink", "dav+sha": "DAV 1m\\n+ sha256 probe",
}
PLAIN = {
    "dav16k": "DAV 16k", "dav64k": "DAV 64k", "dav": "DAV 1m", "dav-h2": "DAV 1m HTTP/2",
    "dav-best": "DAV at its best", "bu": "bigupload (curl)", "bu-crc32c": "bigupload crc32c",
    "bu-off": "bigupload, no digest", "bu-bgclient": "bigupload (bgclient)",
    "bu-ring": "bigupload through the ring", "bu-off-ring": "bigupload through the ring, no digest",
    "bu-bgclient-none": "bigupload (bgclient --digest none)",
    "bu-h2": "bigupload HTTP/2", "bu-fsync": "bigupload fsync", "aiohttp": "aiohttp",
    "dd": "dd", "socket": "socket", "sink-http": "curl → sink",
    "bu-idle": "bigupload, idle", "dav-idle": "DAV, idle", "dav+sha": "DAV + sha256 probe",
}
ORDER = ["dav16k", "dav64k", "dav", "bu", "bu-crc32c", "bu-off", "bu-ring", "bu-off-ring",
         "bu-bgclient", "bu-bgclient-none",
         "bu-h2", "dav-h2", "bu-fsync", "aiohttp", "dd", "socket", "sink-http", "dav+sha"]
# DAV's configurations over HTTP/1.1: in each measure the best of them is the baseline
# ("dav-best": the highest median MiB/s, or the lowest median p99 for the latency)
DAV_ROWS = ["dav16k", "dav64k", "dav"]


def median(v):
    v = sorted(v)
    n = len(v)
    if n == 0:
        return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def mmm(v):
    v = [x for x in v if x is not None]
    if not v:
        return None
    return median(v), min(v), max(v)


def size_name(b):
    if b % GiB == 0:
        return "%d GiB" % (b // GiB)
    if b % MiB == 0:
        return "%d MiB" % (b // MiB)
    return "%d B" % b


def f(x, fmt="%.0f"):
    return "—" if x is None else fmt % x


def fr(t, fmt="%.0f"):
    """median (min–max)"""
    if t is None:
        return "—"
    m, lo, hi = t
    return (fmt + " (" + fmt + "–" + fmt + ")") % (m, lo, hi)


def fx(t, threshold=None):
    """median× (min–max); three decimals where two would round onto the threshold"""
    if t is None:
        return "—"
    if threshold is not None and abs(t[0] - threshold) < 0.005 and t[0] != threshold:
        return "%.3f× (%.2f–%.2f)" % t
    return "%.2f× (%.2f–%.2f)" % t


class Run:
    """one line of results.tsv"""

    def __init__(self, cols):
        (self.exp, self.row, b, r, ok, wall, su, ss, sm, srss, cu, cs, crss, mach, self.note) = cols
        self.bytes, self.round, self.ok = int(b), int(r), ok == "1"
        self.wall = float(wall)
        su, ss, sm, cu, cs = (float(x) for x in (su, ss, sm, cu, cs))
        g = self.bytes / GiB
        self.mibs = self.bytes / MiB / self.wall
        self.srv_cpu = (su + ss) / g
        self.srv_user, self.srv_sys = su / g, ss / g
        self.srv_main = sm / g
        self.srv_other = max(0.0, self.srv_cpu - self.srv_main)
        self.srv_rss = int(srss) / 1024
        self.cli_cpu = (cu + cs) / g
        self.cli_rss = int(crss) / 1024
        self.cores = (su + ss + cu + cs) / self.wall
        self.mach = float(mach)                   # cores busy on the whole machine
        self.others = max(0.0, self.mach - self.cores)
        self.loop_util = sm / self.wall           # of one core: the event loop / main thread
        self.pool_util = max(0.0, su + ss - sm) / self.wall


def main():
    resdir, cdfdir, diagdir, out = sys.argv[1:5]
    meta = {}
    with open(os.path.join(resdir, "meta")) as fh:
        for line in fh:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    quick = meta["quick"] == "1"
    size1, size4 = int(meta["size1"]), int(meta["size4"])
    conc_n, conc_size = int(meta["conc_n"]), int(meta["conc_size"])
    sha_rate = float(meta["sha_rate"])
    sha_cost = GiB / sha_rate  # CPU seconds per GiB
    ncores = int(meta["cores"])

    runs = defaultdict(dict)  # (exp, row, bytes) -> round -> Run
    with open(os.path.join(resdir, "results.tsv")) as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) == 15:
                x = Run(cols)
                runs[(x.exp, x.row, x.bytes)][x.round] = x

    lat = defaultdict(dict)  # row -> round -> dict
    with open(os.path.join(resdir, "latency.tsv")) as fh:
        for line in fh:
            c = line.split()
            if len(c) == 11:
                lat[c[0]][int(c[1])] = dict(n=int(c[2]), err=int(c[3]), p50=int(c[4]) / 1000,
                                            p99=int(c[5]) / 1000, p999=int(c[6]) / 1000,
                                            max=int(c[7]) / 1000, util=float(c[8]), main=float(c[9]),
                                            mach=float(c[10]))

    def real_ok_runs(exp, row, b):
        return {r: x for r, x in runs.get((exp, row, b), {}).items() if x.ok}

    def best_dav(exp, b):
        """the DAV configuration of the highest median MiB/s in that measure"""
        have = [(median([x.mibs for x in real_ok_runs(exp, r, b).values()]), r) for r in DAV_ROWS
                if real_ok_runs(exp, r, b)]
        return max(have)[1] if have else "dav"

    def ok_runs(exp, row, b):
        return real_ok_runs(exp, best_dav(exp, b) if row == "dav-best" else row, b)

    def stat(exp, row, b, attr):
        return mmm([getattr(x, attr) for x in ok_runs(exp, row, b).values()])

    def ratio(exp, row, b, attr, base="dav-best", base_exp=None, base_b=None, add=0.0):
        """median (min–max) of the per-round ratios row / (base + add)"""
        a = ok_runs(exp, row, b)
        d = ok_runs(base_exp or exp, base, base_b or b)
        v = [getattr(a[r], attr) / (getattr(d[r], attr) + add) for r in a if r in d
             and getattr(d[r], attr) + add > 0]
        return mmm(v)

    lat_dav = [(median([v["p99"] for v in lat[r].values()]), r) for r in DAV_ROWS if lat.get(r)]
    best_lat = min(lat_dav)[1] if lat_dav else "dav"

    def lat_rows(row):
        return lat.get(best_lat if row == "dav-best" else row, {})

    def lat_stat(row, key):
        return mmm([v[key] for v in lat_rows(row).values()])

    def lat_ratio(row, key, base="dav-best"):
        a, d = lat_rows(row), lat_rows(base)
        return mmm([a[r][key] / d[r][key] for r in a if r in d and d[r][key] > 0])

    def med(t):
        return None if t is None else t[0]

    sizes = [s for s in (size1, size4) if any(k[0] == "tput" and k[2] == s for k in runs)]
    failures = [x for d in runs.values() for x in d.values() if not x.ok]

    md = []
    w = md.append

    # --- header ------------------------------------------------------------------------------
    w("# Benchmarks\n")
    if quick:
        w("> **QUICK mode** (`make bench QUICK=1` / `make test-bench-quick`): tiny sizes and 2 rounds, "
          "to keep the script working. These numbers mean nothing; `make bench` measures.\n")
    w("bigupload against what a user would otherwise pick — nginx's own DAV `PUT`, the original "
      "tool's Python aiohttp server — and against the physical ceiling of this machine, measured "
      "side by side in one run. These machines are noisy, so every number is the **median** of "
      "interleaved rounds (contenders in one order, then the reverse, round after round) with "
      "its **min–max**, and every comparison is the median of the **per-round ratios** to nginx "
      "DAV measured in the same round.\n")
    w("| | |\n|---|---|")
    w("| date | %s (%.0f minutes for the whole run) |" % (meta["date"], float(meta["duration"]) / 60))
    w("| machine | %s cores (%s, SHA-NI: %s), %s memory, kernel %s, %s |" % (
        meta["cores"], meta["cpu"], meta["sha_ni"], meta["mem"], meta["kernel"], meta["os"]))
    w("| filesystem of the stores (`build/`) | %s; dirty_ratio/dirty_background_ratio %s %% |" % (
        meta["fs"], meta["dirty_ratio"]))
    w("| software | %s (Debian), %s, %s, %s, %s, %s |" % (
        meta["nginx"], meta["curl"], meta["bgclient"], meta["python"], meta["openssl"], meta["wrk"]))
    w("| source | commit `%s` |" % meta["commit"])
    w("| reproduce | `%s` (as root on Debian 12: installs what is missing, builds, runs%s) |" % (
        meta["command"], "" if quick else "; `make bench QUICK=1` is the one-minute smoke run"))
    w("| rounds | %s for %s uploads, %s for %s, %s for the concurrency and latency measures |\n" % (
        meta["r1"], size_name(size1), meta["r4"], size_name(size4), meta["rl"]))

    w("**Setup.** Every server listens on 127.0.0.1 and runs a single worker process "
      "(`worker_processes 1`); client and server share the machine's %d cores. Each contender "
      "stores into its own directory under `build/` (one %s filesystem; DAV's "
      "`client_body_temp_path` is there too, so its final rename stays on one filesystem). The "
      "sources are pseudo-random files read from the page cache. Nothing is fsynced except the "
      "`bigupload_fsync on` row. Before each upload `sync` runs and the stored file of the "
      "previous one is deleted. *Server CPU* is user + system time of the server's process (all "
      "threads: for bigupload the event loop *and* the thread pool) from `/proc/<pid>/stat`, "
      "per GiB received; *peak RSS* is `VmHWM` of that process after `echo 5 > "
      "/proc/<pid>/clear_refs`; the client's CPU and peak RSS come from `/usr/bin/time`. For "
      "the ceiling rows the \"server\" is `dd` itself, or the Python sink.\n" % (
          ncores, meta["fs"].split()[0]))
    w("**sha256 on this CPU** (`openssl speed -evp sha256`, 1 MiB blocks, this run): "
      "%.0f MB/s, i.e. **%.2f CPU-seconds per GiB**. bigupload hashes every byte on the server "
      "(its answer carries the sha256); bgclient hashes every byte again on the client; DAV, "
      "aiohttp and `curl -T` hash nothing.\n" % (sha_rate / 1e6, sha_cost))

    others = [x.others for d in runs.values() for x in d.values() if x.ok]
    if others and median(others) >= 0.3:
        w("**This run shared the machine.** Other processes (with the kernel's writeback) kept a "
          "median %.2f of the %d cores busy during the measurements (%.2f–%.2f; see *cores busy: "
          "machine* in the tables). Absolute MiB/s are lower and the min–max ranges wider than on "
          "an idle machine; the per-round ratios, taken between contenders measured seconds apart, "
          "are what to read.\n" % (median(others), ncores, min(others), max(others)))
    if failures:
        w("**Failed measurements** (excluded from the medians):\n")
        for x in failures:
            w("- %s %s %s round %d: %s" % (x.exp, x.row, size_name(x.bytes), x.round, x.note))
        w("")

    # --- targets -------------------------------------------------------------------------------
    targets = []  # (text, measured, verdict)

    def verdict(ok):
        return "**met**" if ok else "**missed**"

    def per_size(row, base="dav-best", exp="tput", only=None):
        """[(size, ratio)] over the sizes the row was measured at"""
        return [(s, ratio(exp, row, s, "mibs", base=base)) for s in (only or sizes)
                if ok_runs(exp, row, s)]

    def best_name(s):
        return PLAIN[best_dav("tput", s)]

    t1 = per_size("bu")
    if t1 and all(t for _, t in t1):
        targets.append(("throughput with sha256 ≥ 0.8× DAV's best configuration (bigupload + `curl -T` / "
                        "the best of DAV 16k, 64k and 1m in each size)",
                        "; ".join("%s: %s against %s" % (size_name(s), fx(t, 0.8), best_name(s)) for s, t in t1),
                        verdict(all(t[0] >= 0.8 for _, t in t1))))
    t1b = [(row, per_size(row, only=[size1])) for row in ("bu-crc32c", "bu-off")]
    if all(t and t[0][1] for _, t in t1b):
        targets.append(("without sha256: throughput with `crc32c` / `off` ≥ 1.1× DAV's best",
                        "; ".join("%s %s: %s against %s" % (PLAIN[row], size_name(t[0][0]), fx(t[0][1], 1.1),
                                                           best_name(t[0][0])) for row, t in t1b),
                        verdict(all(t[0][1][0] >= 1.1 for _, t in t1b))))
    tz = [(row, base, per_size(row, base=base, only=[size1]))
          for row, base in (("bu", "bu-ring"), ("bu-off", "bu-off-ring"))]
    if all(t and t[0][1] for _, _, t in tz):
        targets.append(("the zero-copy path (`bigupload_splice on`) at least as fast as the ring, "
                        "per digest (same-run ratio to `bigupload_splice off`)",
                        "; ".join("%s %s: %s of the ring" % (PLAIN[row], size_name(t[0][0]), fx(t[0][1], 1.0))
                                  for row, _, t in tz),
                        verdict(all(t[0][1][0] >= 1.0 for _, _, t in tz))))
    t2 = [(s, ratio("tput", "bu", s, "srv_cpu", add=sha_cost)) for s in sizes]
    if all(t for _, t in t2):
        targets.append(("server CPU/GiB ≤ DAV's best + the sha256 cost (%.2f s/GiB)" % sha_cost,
                        "; ".join("%s: %s s/GiB vs %s + %.2f = %.2f → %s" % (
                            size_name(s), f(med(stat("tput", "bu", s, "srv_cpu")), "%.2f"),
                            f(med(stat("tput", "dav-best", s, "srv_cpu")), "%.2f"), sha_cost,
                            (med(stat("tput", "dav-best", s, "srv_cpu")) or 0) + sha_cost, fx(t, 1.0))
                            for s, t in t2),
                        verdict(all(t[0] <= 1.0 for _, t in t2))))
    rss1, rss4 = stat("tput", "bu", size1, "srv_rss"), stat("tput", "bu", size4, "srv_rss")
    bu_rows = ["bu", "bu-crc32c", "bu-off", "bu-ring", "bu-off-ring", "bu-bgclient",
               "bu-bgclient-none", "bu-h2", "bu-fsync"]
    rss_all = [x.srv_rss for r in bu_rows for s in sizes for x in ok_runs("tput", r, s).values()]
    if rss1 and rss4 and rss_all:
        flat = rss4[0] <= rss1[0] * 1.25
        targets.append(("worker peak RSS flat from %s to %s (the %s median within 25 %% of the %s one; "
                        "a buffer growing with the size would be 4×) and under 32 MiB" % (
                            size_name(size1), size_name(size4), size_name(size4), size_name(size1)),
                        "%s: %.1f MiB, %s: %.1f MiB (%.2f×); highest of all single bigupload uploads %.1f MiB" % (
                            size_name(size1), rss1[0], size_name(size4), rss4[0], rss4[0] / rss1[0], max(rss_all)),
                        verdict(flat and max(rss_all) < 32)))
    t4 = lat_ratio("bu", "p99")
    if t4:
        targets.append(("p99 GET latency during saturating uploads ≤ 1/5 of DAV's best (bigupload p99 / "
                        "the lowest of DAV 16k, 64k and 1m ≤ 0.20)",
                        "p99 %s ms vs %s ms (%s): %s" % (f(med(lat_stat("bu", "p99")), "%.2f"),
                                                         f(med(lat_stat("dav-best", "p99")), "%.2f"),
                                                         PLAIN[best_lat], fx(t4, 0.2)),
                        verdict(t4[0] <= 0.2)))
    t5 = per_size("bu-h2", base="bu")
    t5b = per_size("bu-h2", base="dav-h2")
    if t5 and all(t for _, t in t5):
        targets.append(("HTTP/2 ≥ 0.8× HTTP/1.1 (bigupload, `curl -T` both) and ≥ 1.0× DAV over HTTP/2",
                        "; ".join("%s: %s of HTTP/1.1, %s of DAV h2c" % (size_name(s), fx(t, 0.8),
                                                                        fx(dict(t5b).get(s), 1.0))
                                  for s, t in t5),
                        verdict(all(t[0] >= 0.8 for _, t in t5)
                                and t5b and all(t and t[0] >= 1.0 for _, t in t5b))))
    t6 = per_size("bu-bgclient", base="bu")
    t6b = per_size("bu-bgclient-none", base="bu")
    if t6 and all(t for _, t in t6):
        targets.append(("bgclient ≥ 0.9× `curl -T` with sha256, ≥ 1.0× with `--digest none` (both "
                        "against bigupload)",
                        "; ".join("%s: %s" % (size_name(s), fx(t, 0.9)) for s, t in t6)
                        + "; `--digest none` " + "; ".join("%s: %s" % (size_name(s), fx(t, 1.0))
                                                          for s, t in t6b),
                        verdict(all(t[0] >= 0.9 for _, t in t6)
                                and t6b and all(t and t[0] >= 1.0 for _, t in t6b))))
    crss = [(s, stat("tput", "bu-bgclient", s, "cli_rss")) for s in sizes if ok_runs("tput", "bu-bgclient", s)]
    if crss and all(t for _, t in crss):
        hi = max(x.cli_rss for s in sizes for r in ("bu-bgclient", "bu-bgclient-none")
                 for x in ok_runs("tput", r, s).values())
        targets.append(("bgclient peak RSS ≤ 64 MiB whatever the file size (`/usr/bin/time` maxrss: "
                        "file-backed pages included)",
                        "; ".join("%s: %.1f MiB" % (size_name(s), t[0]) for s, t in crss)
                        + "; highest of all bgclient uploads %.1f MiB" % hi,
                        verdict(hi <= 64)))

    w("## Targets (issue 14 §6)\n")
    if quick:
        w("*QUICK mode: verdicts on tiny sizes, meaningless.*\n")
    w("The memory per slow upload is measured by `scripts/bench-slow`: its target is in "
      "[Memory per slow upload](#memory-per-slow-upload).\n")
    w("| target | measured: median of per-round ratios (min–max) | |\n|---|---|---|")
    for t in targets:
        w("| %s | %s | %s |" % t)
    w("")

    # --- single uploads ------------------------------------------------------------------------
    w("## Single uploads\n")
    w("![throughput](docs/bench/throughput.png)\n")
    for s in sizes:
        w("### %s, one upload at a time (%s rounds)\n" % (size_name(s), meta["r1"] if s == size1 else meta["r4"]))
        w("| contender | MiB/s | × DAV | server CPU s/GiB: all (event loop + other threads) | × DAV "
          "| server peak RSS MiB | client CPU s/GiB | client peak RSS MiB | cores busy: ours / machine |")
        w("|---|---|---|---|---|---|---|---|---|")
        for row in ORDER:
            if not ok_runs("tput", row, s):
                continue
            cpu = stat("tput", row, s, "srv_cpu")
            w("| %s | %s | %s | %s (%s + %s) | %s | %s | %s | %s | %s |" % (
                LABEL[row], fr(stat("tput", row, s, "mibs")), fx(ratio("tput", row, s, "mibs")),
                fr(cpu, "%.2f"), f(med(stat("tput", row, s, "srv_main")), "%.2f"),
                f(med(stat("tput", row, s, "srv_other")), "%.2f"),
                fx(ratio("tput", row, s, "srv_cpu")),
                fr(stat("tput", row, s, "srv_rss"), "%.1f"),
                f(med(stat("tput", row, s, "cli_cpu")), "%.2f") if row != "dd" else "—",
                f(med(stat("tput", row, s, "cli_rss")), "%.1f") if row != "dd" else "—",
                f(med(stat("tput", row, s, "cores")), "%.2f") + " / " + f(med(stat("tput", row, s, "mach")), "%.2f")))
        w("")
        w("*× DAV*: the per-round ratio to DAV's best configuration at this size: %s (highest median "
          "MiB/s of DAV 16k, 64k and 1m).\n" % best_name(s))
    w("*cores busy*: *ours* is (server + client CPU seconds) / wall time, *machine* is every "
      "CPU's busy time from `/proc/stat` over the same interval, both out of %d cores; the "
      "difference is load from other processes on this shared machine (with the kernel's "
      "writeback threads). An upload is CPU-bound when the machine column nears %d.\n" % (ncores, ncores))
    w("![CPU per GiB](docs/bench/cpu.png)\n")

    # --- concurrency ---------------------------------------------------------------------------
    crow = [r for r in ORDER if ok_runs("conc", r, conc_n * conc_size) or runs.get(("conc", r, conc_n * conc_size))]
    if crow:
        cb = conc_n * conc_size
        w("## %d concurrent uploads of %s (%s rounds)\n" % (conc_n, size_name(conc_size), meta["rl"]))
        w("All %d clients start together; the time is until the last one has its answer. After each "
          "batch the sha256 of every stored file is compared with the source's.\n" % conc_n)
        w("| contender | aggregate MiB/s | × DAV | batches with all sha256 right | server CPU s/GiB "
          "| server peak RSS MiB | client CPU s/GiB | cores busy: ours / machine |")
        w("|---|---|---|---|---|---|---|---|")
        for row in crow:
            allr = runs.get(("conc", row, cb), {})
            w("| %s | %s | %s | %d of %d | %s | %s | %s | %s |" % (
                LABEL[row], fr(stat("conc", row, cb, "mibs")), fx(ratio("conc", row, cb, "mibs")),
                sum(1 for x in allr.values() if x.ok), len(allr),
                fr(stat("conc", row, cb, "srv_cpu"), "%.2f"), fr(stat("conc", row, cb, "srv_rss"), "%.1f"),
                f(med(stat("conc", row, cb, "cli_cpu")), "%.2f"),
                f(med(stat("conc", row, cb, "cores")), "%.2f") + " / " + f(med(stat("conc", row, cb, "mach")), "%.2f")))
        w("")
        w("*× DAV*: against DAV's best configuration in this measure: %s.\n" % PLAIN[best_dav("conc", cb)])
        r1, rc = stat("tput", "bu", size1, "srv_rss"), stat("conc", "bu", cb, "srv_rss")
        if r1 and rc and conc_n > 1:
            w("bigupload's worker peaks at %.1f MiB with one upload and %.1f MiB with %d: about %.1f MiB "
              "per concurrent fast upload, its ring of up to `bigupload_buffers 4 1m`; DAV holds one "
              "body buffer of `client_body_buffer_size` per upload.\n" % (
                  r1[0], rc[0], conc_n, (rc[0] - r1[0]) / (conc_n - 1)))

    # --- latency ---------------------------------------------------------------------------------
    if lat:
        w("## Event-loop responsiveness: small GETs while %s uploads saturate the worker (%s rounds)\n" % (
            meta["lat_loops"], meta["rl"]))
        w("`location = /ping { return 200 \"ok\"; }` (aiohttp: a `GET /ping` handler) on the *same* single "
          "worker that receives %s back-to-back `curl -T` uploads of %s; `wrk -t1 -c1 -d%ss --latency` "
          "(one connection, one request at a time) measures every GET. Idle rows: no uploads, %ss.\n" % (
              meta["lat_loops"], size_name(int(meta["lat_size"])), meta["lat_dur"], meta["idle_dur"]))
        w("| worker | p50 ms | p99 ms | p99 × DAV | p99.9 ms | max ms | GETs per run | worker CPU (cores), of it event loop | machine cores busy |")
        w("|---|---|---|---|---|---|---|---|---|")
        for row in DAV_ROWS + ["bu", "aiohttp", "dav-idle", "bu-idle"]:
            if row not in lat:
                continue
            w("| %s | %s | %s | %s | %s | %s | %s | %s, %s | %s |" % (
                PLAIN[row], fr(lat_stat(row, "p50"), "%.3f"), fr(lat_stat(row, "p99"), "%.3f"),
                fx(lat_ratio(row, "p99")) if row in ["bu", "aiohttp"] + DAV_ROWS else "—",
                f(med(lat_stat(row, "p999")), "%.2f"), f(med(lat_stat(row, "max")), "%.2f"),
                f(med(lat_stat(row, "n"))), f(med(lat_stat(row, "util")), "%.2f"),
                f(med(lat_stat(row, "main")), "%.2f"), f(med(lat_stat(row, "mach")), "%.2f")))
        w("")
        w("*p99 × DAV*: against DAV's best configuration here, the lowest median p99: %s.\n" % PLAIN[best_lat])
        w("![latency CDF](docs/bench/latency-cdf.png)\n")
        w("(Each curve is the round whose p99 is that worker's median p99.)\n")

    # --- analysis --------------------------------------------------------------------------------
    analysis(w, meta, quick, sizes, size1, stat, ratio, ok_runs, lat_stat, lat_ratio, med,
             sha_cost, ncores, targets, diagdir, best_name)

    # --- appendix ----------------------------------------------------------------------------------
    # sections measured by other scripts (docs/bench/extra-*.md of the output,
    # each saying what measured it and when: bench-completion's of this run,
    # and those kept from runs of their own) come before the appendix
    extras = os.path.join(out, "docs", "bench")
    for name in sorted(os.listdir(extras)) if os.path.isdir(extras) else []:
        if name.startswith("extra-") and name.endswith(".md"):
            w(open(os.path.join(extras, name)).read().rstrip("\n") + "\n")

    w("## Appendix: every measurement\n")
    w("<details><summary>per-round values (MiB/s, server CPU s/GiB, server peak RSS MiB)</summary>\n")
    w("| measure | contender | size | round | MiB/s | server CPU s/GiB | event loop s/GiB | server RSS MiB | client CPU s/GiB | ok |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for (exp, row, b), d in sorted(runs.items(), key=lambda kv: (kv[0][0] != "tput", kv[0][2], ORDER.index(kv[0][1]))):
        for r in sorted(d):
            x = d[r]
            w("| %s | %s | %s | %d | %.0f | %.2f | %.2f | %.1f | %.2f | %s |" % (
                exp, row, size_name(b), r, x.mibs, x.srv_cpu, x.srv_main, x.srv_rss, x.cli_cpu,
                "yes" if x.ok else "no: " + x.note))
    w("\n| latency | round | GETs | errors | p50 ms | p99 ms | p99.9 ms | max ms |\n|---|---|---|---|---|---|---|---|")
    for row in sorted(lat):
        for r in sorted(lat[row]):
            v = lat[row][r]
            w("| %s | %d | %d | %d | %.3f | %.3f | %.3f | %.3f |" % (row, r, v["n"], v["err"], v["p50"], v["p99"], v["p999"], v["max"]))
    w("\n</details>\n")

    diag = []
    for row in ("dav", "bu", "aiohttp"):
        for kind, title in (("perf-stat", "perf stat -p <worker>"),
                            ("perf-dso", "perf record -e cpu-clock -p <worker>; perf report --sort dso"),
                            ("perf-report", "the same, --sort dso,sym (unresolved libcrypto addresses left out)"),
                            ("strace", "strace -c -f -p <worker>")):
            p = os.path.join(diagdir, "%s.%s" % (row, kind))
            if os.path.exists(p) and os.path.getsize(p) > 0:
                text = open(p, errors="replace").read().strip("\n")
                lines = [l for l in text.splitlines() if l.strip() and not l.startswith("#")]
                if kind == "strace":
                    lines = lines[:14]
                diag.append("**%s** — `%s`, one upload of %s:\n\n```\n%s\n```\n" % (
                    PLAIN[row], title, size_name(int(meta.get("size1", 0))), "\n".join(lines[:30])))
    for row, title in (("curl-bu", "curl -T over HTTP/1.1"), ("curl-bu-h2", "curl -T over h2c")):
        p = os.path.join(diagdir, row + ".strace")
        if os.path.exists(p) and os.path.getsize(p) > 0:
            lines = [l for l in open(p, errors="replace").read().splitlines() if l.strip()][:10]
            diag.append("**client** — `strace -c -f %s` to bigupload, one upload of %s:\n\n```\n%s\n```\n" % (
                title, size_name(int(meta.get("size1", 0))), "\n".join(lines)))
    if diag:
        w("<details><summary>diagnostics: perf and strace of each worker (and of curl) during one upload</summary>\n")
        for d in diag:
            w(d)
        w("</details>\n")

    os.makedirs(os.path.join(out, "docs", "bench"), exist_ok=True)

    with open(os.path.join(out, "BENCHMARKS.md"), "w") as fh:
        fh.write("\n".join(md).rstrip("\n") + "\n")

    plots(resdir, cdfdir, out, sizes, size1, conc_n, conc_size, stat, lat, meta["lat_loops"])


def perf_share(diagdir, row, pattern, kind="perf-dso"):
    """percentage of a worker's cpu-clock samples whose line (dso, symbol) matches pattern"""
    p = os.path.join(diagdir, "%s.%s" % (row, kind))
    if not os.path.exists(p):
        return None
    tot = 0.0
    seen = False
    for line in open(p, errors="replace"):
        m = re.match(r"\s*([\d.]+)%\s+(.*)$", line)
        if m:
            seen = True
            if re.search(pattern, m.group(2)):
                tot += float(m.group(1))
    return tot if seen else None


def perf_top(diagdir, row, n=2):
    """the n hottest symbols of a worker: [(symbol, percent)]"""
    p = os.path.join(diagdir, row + ".perf-report")
    out = []
    if os.path.exists(p):
        for line in open(p, errors="replace"):
            m = re.match(r"\s*([\d.]+)%\s+\S+\s+\[.\]\s+(\S+)", line)
            if m:
                out.append((m.group(2), float(m.group(1))))
    return out[:n]


def strace_calls(diagdir, row):
    """syscall -> calls, from strace -c"""
    p = os.path.join(diagdir, row + ".strace")
    out = {}
    if not os.path.exists(p):
        return out
    for line in open(p, errors="replace"):
        c = line.split()
        if len(c) >= 5 and re.match(r"^[\d.]+$", c[0]) and c[-1] != "total":
            try:
                out[c[-1]] = int(c[3])
            except ValueError:
                pass
    return out


def h2_sends(diagdir, meta):
    """', curl making N sendto calls per GiB over h2c against M over HTTP/1.1' (strace -c)"""
    h1, h2 = strace_calls(diagdir, "curl-bu"), strace_calls(diagdir, "curl-bu-h2")
    s1 = h1.get("sendto", 0) + h1.get("write", 0) + h1.get("sendmsg", 0)
    s2 = h2.get("sendto", 0) + h2.get("write", 0) + h2.get("sendmsg", 0)
    if not s1 or not s2:
        return ""
    g = int(meta.get("size1", GiB)) / GiB
    return (": strace counts %.0f socket writes per GiB from curl over h2c (libcurl 7.88 with "
            "nghttp2 sends a DATA frame of at most 16 KiB per `sendto`) against %.0f over HTTP/1.1" % (
                s2 / g, s1 / g))


def analysis(w, meta, quick, sizes, size1, stat, ratio, ok_runs, lat_stat, lat_ratio, med,
             sha_cost, ncores, targets, diagdir, best_name):
    def m(row, attr, s=size1, exp="tput"):
        v = med(stat(exp, row, s, attr))
        return 0.0 if v is None else v

    def rx(row, attr="mibs", base="dav-best", s=size1):
        v = med(ratio("tput", row, s, attr, base=base))
        return 0.0 if v is None else v

    def have(row):
        return bool(ok_runs("tput", row, size1))

    if not all(have(r) for r in ("dav", "bu")):
        return
    S = size_name(size1)

    def limit(row):
        """what the numbers say limits one upload"""
        mach, ours, loop, pool = (m(row, k) for k in ("mach", "cores", "loop_util", "pool_util"))
        others = max(0.0, mach - ours)
        if mach >= 0.9 * ncores:
            t = ("the machine's %d cores were saturated (%.2f busy: %.2f by this upload's client "
                 "and server" % (ncores, mach, ours))
            t += ", %.2f by other processes)" % others if others >= 0.2 else ")"
            return t
        if loop >= 0.85:
            return "its event loop (one thread) was busy %.2f of a core: it is the bottleneck" % loop
        if pool >= 0.6 and pool > loop:
            return ("no core was full (the machine %.2f of %d busy), but the pool side was busy "
                    "%.2f of a core (both lanes together) and the event loop %.2f: the hash lane, "
                    "one 1 MiB buffer at a time and strictly in order, is the bottleneck, with the "
                    "hand-offs between loop and pool in between" % (mach, ncores, pool, loop))
        t = ("no core was saturated (the machine %.2f of %d cores busy, %.2f by this upload; the "
             "server's main thread %.2f of a core" % (mach, ncores, ours, loop))
        if pool > 0.05:
            t += ", its pool threads %.2f" % pool
        t += "): client and server take turns more than they overlap — a latency-bound pipeline"
        return t

    w("## What limits each contender here\n")
    if quick:
        w("*QUICK mode: the text below is generated from meaningless numbers.*\n")
    w("Generated from this run's numbers: medians of the %s single uploads unless said otherwise, "
      "CPU in CPU-seconds per GiB, *busy* as a fraction of one core. The perf and strace figures "
      "come from one extra upload each (appendix).\n" % S)

    # DAV: its best configuration at this size
    dav_cpu, dav_tot = m("dav-best", "srv_cpu"), m("dav-best", "srv_cpu") + m("dav-best", "cli_cpu")
    bu_cpu, bu_main, bu_other = m("bu", "srv_cpu"), m("bu", "srv_main"), m("bu", "srv_other")
    bu_tot = bu_cpu + m("bu", "cli_cpu")
    sc_dav, sc_bu = strace_calls(diagdir, "dav"), strace_calls(diagdir, "bu")   # (DAV 1m)
    top = perf_top(diagdir, "dav")
    crypto = perf_share(diagdir, "bu", r"libcrypto")
    memmove = perf_share(diagdir, "bu", r"memmove|memcpy", "perf-report")

    t = ("- **nginx DAV** (%.0f MiB/s with `client_body_buffer_size 16k`, its default, %.0f with 64k, "
         "%.0f with 1m: the baseline is %s). "
         "The worker spends %.2f s/GiB there, %.0f %% of it in the kernel: `recv` from the socket into "
         "its body buffer, `pwrite` of each full buffer into the temp file (two copies, no hash), "
         "one rename at the end" % (
             m("dav16k", "mibs"), m("dav64k", "mibs"), m("dav", "mibs"), best_name(size1), dav_cpu,
             100 * m("dav-best", "srv_sys") / dav_cpu if dav_cpu else 0))
    if top:
        t += "; perf's hottest symbols are %s" % " and ".join("`%s` (%.0f %%)" % x for x in top)
    t += (". `curl -T` adds %.2f s/GiB. Limit: %s. nginx's buffered body reader "
          "(`ngx_http_do_read_client_request_body`) writes each full buffer synchronously and goes "
          "on reading for as long as the socket has data, so one fast client keeps the event loop "
          "to itself (see the latency section)" % (m("dav-best", "cli_cpu"), limit("dav-best")))
    if sc_dav.get("epoll_wait") and sc_bu.get("epoll_wait"):
        t += ("; strace counts %d `epoll_wait` for its %s upload (1m) against bigupload's %d" % (
            sc_dav["epoll_wait"], S, sc_bu["epoll_wait"]))
    w(t + ".")

    t = ("- **bigupload + `curl -T`** (%.0f MiB/s, %.2f× DAV). The worker spends %.2f s/GiB: "
         "%.2f on the event loop (socket reads of up to 1 MiB straight into the ring, HTTP) and "
         "%.2f on the pool threads, in two lanes per upload: one hashes each 1 MiB buffer in "
         "order (%.2f s/GiB at OpenSSL's speed) while the other `pwrite`s an earlier one" % (
             m("bu", "mibs"), rx("bu"), bu_cpu, bu_main, bu_other, sha_cost))
    if crypto is not None:
        t += ("; perf puts %.0f %% of the worker's samples in libcrypto (the sha256)%s" % (
            crypto, (" and %.0f %% in user-space memmove (what is still copied into the ring: "
                     "body bytes that came with the headers)" % memmove) if memmove else ""))
    t += (". Over DAV's worker it costs %+.2f s/GiB; client and server together %.2f s/GiB "
          "against DAV's %.2f. Limit: %s." % (bu_cpu - dav_cpu, bu_tot, dav_tot, limit("bu")))
    w(t)
    if have("dav+sha"):
        w("- **probe: DAV + sha256 alongside** (%.0f MiB/s, %.2f× DAV): the same DAV upload while "
          "`openssl dgst -sha256` hashes the same number of bytes in another process on the same "
          "cores — what the hash's CPU alone costs an upload here, wherever it runs." % (
              m("dav+sha", "mibs"), rx("dav+sha")))
    if have("bu-bgclient"):
        w("- **bigupload + bgclient** (%.0f MiB/s, %.2f× `curl -T`): bgclient hashes every byte a "
          "second time, on its own thread (%.2f s/GiB of client CPU against curl's %.2f), on the "
          "same %d cores as the server's hash. Limit: %s. Its peak RSS is %.1f MiB (curl %.1f MiB)." % (
              m("bu-bgclient", "mibs"), rx("bu-bgclient", base="bu"), m("bu-bgclient", "cli_cpu"),
              m("bu", "cli_cpu"), ncores, limit("bu-bgclient"), m("bu-bgclient", "cli_rss"), m("bu", "cli_rss")))
    if have("bu-h2"):
        w("- **bigupload over HTTP/2** (%.0f MiB/s, %.2f× HTTP/1.1): h2c costs the event loop "
          "%.2f s/GiB against %.2f over HTTP/1.1 (nginx parses DATA frames and sends WINDOW_UPDATEs "
          "as its buffer is consumed, and the body is copied from that buffer into the ring), and "
          "curl %.2f s/GiB against %.2f (libcurl/nghttp2 framing). With both cores that busy, one "
          "pool task per buffer hashes and then writes it (two lanes measured slower here). "
          "Limit: %s." % (
              m("bu-h2", "mibs"), rx("bu-h2", base="bu"), m("bu-h2", "srv_main"), bu_main,
              m("bu-h2", "cli_cpu"), m("bu", "cli_cpu"), limit("bu-h2")))
    if lat_stat("dav-best", "p99") and lat_stat("bu", "p99"):
        w("- **Small GETs during uploads.** DAV's worker answers at p50 %s ms, p99 %s ms: its event "
          "loop runs one request's read–write loop until that socket is dry, and a GET waits behind "
          "it. bigupload's event loop stops reading an upload whenever its 4 MiB ring is full and "
          "leaves the writes and the hash to the pool, so GETs get in between: p50 %s ms, p99 %s ms. "
          "What remains is mostly scheduling: idle (no uploads), both workers already show a p99 of "
          "%s / %s ms (bigupload / DAV) on this machine. aiohttp (p99 %s ms) writes each chunk "
          "from its event loop, like DAV, but a chunk at a time." % (
              f(med(lat_stat("dav-best", "p50")), "%.2f"), f(med(lat_stat("dav-best", "p99")), "%.0f"),
              f(med(lat_stat("bu", "p50")), "%.2f"), f(med(lat_stat("bu", "p99")), "%.1f"),
              f(med(lat_stat("bu-idle", "p99")), "%.1f"), f(med(lat_stat("dav-idle", "p99")), "%.1f"),
              f(med(lat_stat("aiohttp", "p99")), "%.0f")))
    if have("bu-fsync"):
        w("- **bigupload with `bigupload_fsync on`** (%.0f MiB/s, %.2f× DAV without fsync): the "
          "answer waits until the file is on the disk, so this row includes the disk's write speed "
          "(the others end in the page cache)." % (m("bu-fsync", "mibs"), rx("bu-fsync")))
    if have("aiohttp"):
        w("- **aiohttp reference** (%.0f MiB/s, %.2f× DAV): one Python process spends %.2f s/GiB "
          "(%.2f of it in user space: the interpreter, a new `bytes` object per chunk — perf shows "
          "page faults from the allocations), writing each chunk from the event loop. Limit: %s. "
          "Peak RSS %.1f MiB." % (
              m("aiohttp", "mibs"), rx("aiohttp"), m("aiohttp", "srv_cpu"), m("aiohttp", "srv_user"),
              limit("aiohttp"), m("aiohttp", "srv_rss")))
    if have("dd"):
        w("- **dd into the same filesystem** (%.0f MiB/s, %.2f× DAV): %.2f s/GiB for a `read` from "
          "the page cache and a `write` into it, in one process: the cost of putting bytes into "
          "ext4's page cache, no socket." % (m("dd", "mibs"), rx("dd"), m("dd", "srv_cpu")))
    if have("socket"):
        w("- **loopback socket** (%.0f MiB/s, %.2f× DAV): socat reads the file and sends, a Python "
          "sink receives into one buffer (%.2f s/GiB): the socket without the disk. `curl -T` into a "
          "discarding HTTP sink reaches %.0f MiB/s: the ceiling for any server fed by curl here." % (
              m("socket", "mibs"), rx("socket"), m("socket", "srv_cpu"), m("sink-http", "mibs")))
    w("")

    missed = [t for t in targets if "missed" in t[2]]
    w("## Missed targets: what we found\n")
    if not missed:
        w("Every target is met in this run.\n")
        return
    for t in missed:
        name = t[0]
        if name.startswith("throughput"):
            gap = bu_tot - dav_tot
            pred = dav_tot / bu_tot if bu_tot else 0
            probe = rx("dav+sha") if have("dav+sha") else None
            w("**Throughput with sha256 ≥ 0.8× DAV's best** — measured %s." % t[1])
            w("")
            w("- *CPU accounting.* bigupload's worker spends %.2f s/GiB against DAV's %.2f "
              "(%+.2f); the sha256 alone is %.2f s/GiB (`openssl speed`, this run)%s. So without the "
              "hash bigupload's worker would spend %.2f s/GiB, %s DAV's. Client + server: %.2f "
              "against %.2f s/GiB; were the upload purely CPU-bound, that predicts %.2f×." % (
                  bu_cpu, dav_cpu, bu_cpu - dav_cpu, sha_cost,
                  ("; perf: %.0f %% of the worker's samples in libcrypto" % crypto) if crypto is not None else "",
                  bu_cpu - sha_cost, "less than" if bu_cpu - sha_cost < dav_cpu else "more than",
                  bu_tot, dav_tot, pred))
            if probe is not None:
                if abs(probe - rx("bu")) <= 0.1:
                    pt = ("That is bigupload's ratio within 0.1: the hash's CPU on these two shared "
                          "cores accounts for the gap.")
                elif probe > rx("bu"):
                    pt = ("So the hash's CPU, spent anywhere on these cores, costs DAV %s, while "
                          "bigupload is %.0f %% slower than DAV: bigupload loses more than the hash's "
                          "CPU. Unlike the probe's separate process, its hash still sits *in the "
                          "pipeline* — the hash lane takes one 1 MiB buffer at a time, strictly in "
                          "order, and the event loop can refill only a buffer both lanes are done "
                          "with (the pool side of the upload was busy %.2f of a core, both lanes "
                          "together)." % (
                              "nothing measurable (%.2f×)" % probe if probe >= 0.97 else
                              "%.0f %%" % (100 * (1 - probe)),
                              100 * (1 - rx("bu")), m("bu", "pool_util")))
                else:
                    pt = "The probe loses more than bigupload does: the hash's CPU covers the whole gap."
                w("- *Probe.* DAV with the same amount of hashing running alongside on the same "
                  "cores reaches %.2f× DAV. %s" % (probe, pt))
            w("- *Where the time goes.* Limit of the bigupload upload: %s. Limit of DAV's: %s." % (
                limit("bu"), limit("dav-best")))
            if bu_other > sha_cost:
                lane = max(sha_cost, bu_other - sha_cost)
                cap = 1024 / lane
                w("- *The per-upload pipeline.* The pool side spends %.2f s per GiB: the hash lane "
                  "%.2f (the sha256), the write lane %.2f (the `pwrite` into the page cache and the "
                  "rest), each one task at a time but alongside each other, so one upload cannot go "
                  "faster than 1024 / max(%.2f, %.2f) = %.0f MiB/s however many cores there are. It "
                  "reached %.0f MiB/s (%.0f %% of that cap): on %d cores shared with the client "
                  "and the event loop the lanes do not get a core each — client + server need %.2f "
                  "CPU-seconds per GiB, so on %d cores at least %.2f s: at most %.0f MiB/s." % (
                      bu_other, sha_cost, bu_other - sha_cost, sha_cost, bu_other - sha_cost, cap,
                      m("bu", "mibs"), 100 * m("bu", "mibs") / cap, ncores, bu_tot,
                      ncores, bu_tot / ncores, 1024 * ncores / bu_tot if bu_tot else 0))
            dav64 = rx("bu", base="dav64k")
            extra = bu_cpu - dav_cpu
            share = sha_cost / extra if extra > 0 else None
            rest = bu_cpu - sha_cost - dav_cpu
            if share is None or share >= 0.5:
                verdict = "**Confirmed**: the sha256 is the main cost"
                if share is not None:
                    verdict += (" — %.2f of the %.2f s/GiB bigupload's worker spends over DAV's "
                                "(%.0f %%)" % (sha_cost, extra, 100 * min(share, 1.0)))
                if probe is not None and abs(probe - rx("bu")) <= 0.1:
                    verdict += (", and DAV made to pay the same hashing on the same cores is as "
                                "slow as bigupload (%.2f× against %.2f×)" % (probe, rx("bu")))
                verdict += "."
                if rest > 0.05:
                    verdict += (" Not the only one: beyond the hash bigupload's worker spends %.2f "
                                "s/GiB more than DAV's — two thread-pool tasks per MiB and what "
                                "they cost the kernel (see the next target)." % rest)
                if probe is not None and probe - rx("bu") > 0.1:
                    verdict += (" And its CPU alone does not explain all of the throughput gap: "
                                "where it sits — in a lane of its own, but one buffer at a time "
                                "between the event loop's reads — costs more than its CPU seconds.")
            else:
                verdict = ("**Refuted**: the hash is %.2f of the %.2f s/GiB bigupload's worker spends "
                           "over DAV's; the rest (%.2f s/GiB: two thread-pool tasks per MiB and "
                           "what they cost the kernel) weighs more." % (sha_cost, extra, rest))
            w("- *Conclusion.* %s%s" % (verdict, (" Against DAV with 64k buffers bigupload reaches %.2f×." % dav64) if dav64 else ""))
            w("")
        elif name.startswith("without sha256"):
            w("**Without sha256, ≥ 1.1× DAV's best** — measured %s. With `crc32c` the worker spends "
              "%.2f s/GiB and with no digest %.2f, against DAV's %.2f. The body is spliced from the "
              "socket into the file (`bigupload_splice on`): it does not pass through user space, "
              "where DAV copies it twice, but one pool task per splice and the pipe's page moves "
              "cost CPU of their own; through the ring instead (`bigupload_splice off`) the worker "
              "spends %.2f s/GiB with no digest, and the splice path reaches %s of the ring's "
              "throughput. Limit of the no-digest upload: %s.\n" % (
                  t[1], m("bu-crc32c", "srv_cpu"), m("bu-off", "srv_cpu"), dav_cpu,
                  m("bu-off-ring", "srv_cpu"), fx(ratio("tput", "bu-off", size1, "mibs", base="bu-off-ring")),
                  limit("bu-off")))
        elif name.startswith("bgclient peak RSS"):
            w("**bgclient peak RSS** — measured %s.\n" % t[1])
        elif name.startswith("server CPU"):
            w("**Server CPU/GiB ≤ DAV's + sha256** — measured %s. Beyond the hash (%.2f) bigupload's "
              "worker spends %.2f s/GiB against DAV's %.2f. Past its first bytes a Content-Length body "
              "is spliced from the socket into the file on the pool, so neither the event loop nor "
              "a lane copies it%s; what remains is a pool task per splice (eventfd wake-ups, "
              "futexes: strace counts %s futex calls for one %s upload), the pipe, and the hash "
              "reading the file's pages through a mapping behind each write.\n" % (
                  t[1], sha_cost, bu_cpu - sha_cost, dav_cpu,
                  (" (%.0f %% of the worker's samples still in memmove)" % memmove) if memmove else "",
                  sc_bu.get("futex", "?"), S))
        elif name.startswith("worker peak RSS"):
            w("**Worker peak RSS** — measured %s.\n" % t[1])
        elif name.startswith("p99"):
            w("**p99 GET latency ≤ 1/5 of DAV's** — measured %s. Idle, the workers answer at p99 "
              "%s ms (bigupload) and %s ms (DAV). During the uploads bigupload's event loop is busy "
              "%s of a core, DAV's %s; the machine %s / %s cores busy. A GET waits for whatever the "
              "event loop is doing (DAV: reading and writing a body until the socket runs dry) and for "
              "the kernel to schedule the worker among %s curl processes, wrk and the pool threads "
              "on %d cores.\n" % (
                  t[1], f(med(lat_stat("bu-idle", "p99")), "%.3f"), f(med(lat_stat("dav-idle", "p99")), "%.3f"),
                  f(med(lat_stat("bu", "main")), "%.2f"), f(med(lat_stat("dav-best", "main")), "%.2f"),
                  f(med(lat_stat("bu", "mach")), "%.2f"), f(med(lat_stat("dav-best", "mach")), "%.2f"),
                  meta["lat_loops"], ncores))
        elif name.startswith("HTTP/2"):
            dcli = m("bu-h2", "cli_cpu") - m("bu", "cli_cpu")
            dsrv = m("bu-h2", "srv_cpu") - bu_cpu
            w("**HTTP/2 ≥ 0.8× HTTP/1.1 and ≥ 1.0× DAV over HTTP/2** — measured %s. DAV over h2c "
              "reaches %.0f MiB/s. Per GiB, h2c costs the event loop %.2f s "
              "against %.2f over HTTP/1.1 (the whole worker %+.2f s), and curl %.2f s against %.2f "
              "(%+.2f s): client + server %.2f against %.2f. %s Limit of the h2 upload: %s. "
              "Against DAV over HTTP/1.1 the h2 upload reaches %.2f×: the two paths differ in the "
              "module too — over HTTP/1.1 nginx reads a Content-Length body straight into the ring "
              "and two lanes hash and write alongside, over HTTP/2 the body is copied out of "
              "nginx's buffer and one task per buffer hashes and then writes it (two lanes were "
              "slower there) — so whatever speeds up the HTTP/1.1 path widens this ratio.\n" % (
                  t[1], m("dav-h2", "mibs"), m("bu-h2", "srv_main"), bu_main, dsrv, m("bu-h2", "cli_cpu"), m("bu", "cli_cpu"),
                  dcli, m("bu-h2", "srv_cpu") + m("bu-h2", "cli_cpu"), bu_tot,
                  ("Most of the extra CPU is the client's, not the module's%s; on a machine where "
                   "client and server do not share two cores the gap would be smaller — not "
                   "measurable here." % h2_sends(diagdir, meta) if dcli > dsrv else
                   "Most of the extra CPU is the server's: nginx's HTTP/2 framing and flow control."),
                  limit("bu-h2"), rx("bu-h2")))
        elif name.startswith("bgclient"):
            extra = m("bu-bgclient", "cli_cpu") - m("bu", "cli_cpu")
            tot_bg = m("bu-bgclient", "srv_cpu") + m("bu-bgclient", "cli_cpu")
            w("**bgclient ≥ 0.9× `curl -T` with sha256, ≥ 1.0× with `--digest none`** — measured %s. "
              "With `--digest none` it reaches %.0f MiB/s against curl's %.0f. With sha256 bgclient spends %+.2f s/GiB of CPU "
              "over curl (its own sha256 is %.2f), on the same %d cores the server hashes on; "
              "client + server need %.2f s/GiB against %.2f with curl. Limit: %s. With the server "
              "on another machine the client's hash thread would have a core of its own; that "
              "cannot be measured here.\n" % (
                  t[1], m("bu-bgclient-none", "mibs"), m("bu", "mibs"), extra, sha_cost, ncores, tot_bg,
                  bu_tot, limit("bu-bgclient")))


def gp_escape(s):
    return s.replace('"', '\\"')


def plots(resdir, cdfdir, out, sizes, size1, conc_n, conc_size, stat, lat, lat_loops):
    pdir = os.path.join(resdir, "plot")
    os.makedirs(pdir, exist_ok=True)
    dst = os.path.join(out, "docs", "bench")
    cb = conc_n * conc_size

    # throughput bars with min-max whiskers
    rows = [r for r in ORDER if any(stat("tput", r, s, "mibs") for s in sizes)]
    with open(os.path.join(pdir, "throughput.dat"), "w") as fh:
        for r in rows:
            cols = []
            for key in [("tput", s) for s in sizes] + [("conc", cb)]:
                t = stat(key[0], r, key[1], "mibs")
                cols += ["%.1f %.1f %.1f" % t if t else "? ? ?"]
            fh.write('"%s" %s\n' % (SHORT[r], " ".join(cols)))
    titles = ["one upload of %s" % size_name(s) for s in sizes] + [
        "%d concurrent uploads of %s (aggregate)" % (conc_n, size_name(conc_size))]
    plot = []
    for i, t in enumerate(titles):
        c = 2 + 3 * i
        plot.append("'%s' using %d:%d:%d%s title \"%s\"" % (
            os.path.join(pdir, "throughput.dat"), c, c + 1, c + 2, ":xtic(1)" if i == 0 else "", gp_escape(t)))
    gp = """
set terminal pngcairo size 1200,560 font "sans,10"
set output '%s'
set datafile missing '?'
set style data histograms
set style histogram errorbars gap 1.5 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set ylabel "MiB/s (median, whiskers min-max)"
set title "Upload throughput on 127.0.0.1 (higher is better)"
set key top left Left reverse
set bmargin 4
set grid ytics
set yrange [0:*]
set xtics font ",9"
plot %s
""" % (os.path.join(dst, "throughput.png"), ", ".join(plot))

    # cpu per GiB, stacked: event loop, other server threads, client
    with open(os.path.join(pdir, "cpu.dat"), "w") as fh:
        for r in rows:
            a, b, c = (stat("tput", r, size1, k) for k in ("srv_main", "srv_other", "cli_cpu"))
            if a:
                fh.write('"%s" %.3f %.3f %.3f\n' % (SHORT[r], a[0], b[0] if b else 0, c[0] if c else 0))
    cpu_dat = os.path.join(pdir, "cpu.dat")
    gp += """
set terminal pngcairo size 1200,520 font "sans,10"
set output '%s'
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.7
set ylabel "CPU seconds per GiB (median)"
set title "Where the CPU goes: one upload of %s (lower is better)"
set key top left Left reverse
plot '%s' using 2:xtic(1) title "server: process / event-loop thread", '' using 3 title "server: other threads (bigupload: thread pool)", '' using 4 title "client"
""" % (os.path.join(dst, "cpu.png"), size_name(size1), cpu_dat)

    # latency CDF: for each worker, the round with the median p99
    curves = []
    for row in ["dav", "bu", "aiohttp", "dav-idle", "bu-idle"]:
        if row not in lat or not lat[row]:
            continue
        rs = sorted(lat[row], key=lambda r: lat[row][r]["p99"])
        r = rs[(len(rs) - 1) // 2]
        src = os.path.join(cdfdir, "%s-%d.txt" % (row, r))
        if not os.path.exists(src):
            continue
        dat = os.path.join(pdir, "cdf-%s.dat" % row)
        with open(src) as fi, open(dat, "w") as fo:
            for line in fi:
                c = line.split()
                if c and c[0] == "P":
                    fo.write("%.4f %.5f\n" % (max(int(c[2]), 1) / 1000, float(c[1]) / 100))
        color = {"dav": "#8e44ad", "bu": "#1e8449", "aiohttp": "#2e86c1"}[row.replace("-idle", "")]
        style = ("dt 2 lw 1.5" if row.endswith("idle") else "lw 2") + " lc rgb '%s'" % color
        curves.append("'%s' using 1:2 with lines %s title \"%s\"" % (dat, style, gp_escape(PLAIN[row])))
    if curves:
        gp += """
set terminal pngcairo size 1000,560 font "sans,10"
set output '%s'
set style data lines
set logscale x 10
set xlabel "GET /ping latency, ms (log scale)"
set ylabel "fraction of requests at or below"
set title "Latency of small GETs on the worker while %s uploads saturate it (CDF)"
set key bottom right
set bmargin 3
set grid xtics ytics mxtics
set yrange [0:1]
set xrange [*:*]
set format x "%%g"
plot %s
""" % (os.path.join(dst, "latency-cdf.png"), lat_loops, ", ".join(curves))
    with open(os.path.join(pdir, "plots.gp"), "w") as fh:
        fh.write(gp)
    subprocess.run(["gnuplot", os.path.join(pdir, "plots.gp")], check=True)


if __name__ == "__main__":
    main()
