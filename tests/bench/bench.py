#!/usr/bin/python3
"""bench.py: the driver behind `make bench` (tests/bench/run.sh builds the
helpers, then runs this). It measures tickbus against the Python and Go peers
on the same streams, in one run, alternating programs, and writes
docs/PERFORMANCE.md. QUICK=1 gives the < 1 minute variant. Every figure comes
from this run; what cannot be measured is reported as "not measured: why".

CPU 1 runs the program under test (or the whole pipeline); CPU 0 runs the load
generator (mockx or replay) and the consumers (benchsub, cat).
"""
import glob
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("BIN", os.path.join(ROOT, "bin"))
BB = os.path.join(ROOT, "build", "bench")
WORK = os.path.join(BB, "run")
QUICK = os.environ.get("QUICK", "0") not in ("", "0")
OUT = os.environ.get("BENCH_OUT", os.path.join(ROOT, "docs", "PERFORMANCE.md"))
PY = "/usr/bin/python3"
QUICK_LAST = os.path.join(BB, "quick-last.txt")
T0 = time.time()

if QUICK:
    REPS, WARM, WIN = 1, 1.0, 1.2
    CORPUS_N = 20000
    RECORD_MODE = False
    SCALE = [(100, 1.2), (1000, 1.2), (10000, 1.2), ("max", 1.2)]
    LONG_S, LONG_RATE = 0, 1000
    FLOOR_REPS = 3
    PROF_S = 1.0
else:
    REPS, WARM, WIN = 3, 2.0, 6.0
    CORPUS_N = 50000
    RECORD_MODE = True
    SCALE = [(100, 15), (1000, 15), (10000, 15), ("max", 15)]
    LONG_S, LONG_RATE = 120, 1000
    FLOOR_REPS = 5
    PROF_S = 3

VENUES = ["kraken", "coinbase"]
procs = []
log_lines = []


def say(msg):
    line = "[%5.1fs] %s" % (time.time() - T0, msg)
    print(line, flush=True)
    log_lines.append(line)


def have(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def start(cmd, cpu, stdout=None, stderr=None, env=None):
    p = subprocess.Popen(["taskset", "-c", str(cpu)] + cmd, stdout=stdout or subprocess.DEVNULL,
                         stderr=stderr or subprocess.DEVNULL, env=env, start_new_session=True)
    procs.append(p)
    return p


def stop(p, timeout=3):
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def stop_all():
    for p in procs:
        stop(p, 1)


def read_port_lines(p, want, timeout=10):
    """Read 'NAME=PORT' (mockx) lines from P's stdout until WANT names are known."""
    ports = {}
    t = time.time() + timeout
    while len(ports) < len(want) and time.time() < t:
        line = p.stdout.readline().decode()
        if not line:
            break
        m = re.match(r"(\w+)=(\d+)", line.strip())
        if m:
            ports[m.group(1)] = int(m.group(2))
    return ports


def mem(pid):
    """RSS, PSS, USS in KiB from /proc/PID/smaps_rollup, or None."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            d = {}
            for line in f:
                m = re.match(r"(\w+):\s+(\d+) kB", line)
                if m:
                    d[m.group(1)] = int(m.group(2))
        return (d.get("Rss", 0), d.get("Pss", 0),
                d.get("Private_Clean", 0) + d.get("Private_Dirty", 0) + d.get("Private_Hugetlb", 0))
    except OSError:
        return None


def cpu_ns(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        fields = s[s.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) * (10 ** 9 // os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError):
        return None


def parse_stats(path):
    """The 'stats k=v ...' lines of a peer / feedpipe stderr, as dicts of ints."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("stats "):
                    out.append({k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])})
    except OSError:
        pass
    return out


def parse_hb(path, src):
    """hb samples of SRC from a benchsub --hb-out file: dicts with t_ns, cpu_ns and counters."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                t, c, body = line.split(" ", 2)
                try:
                    j = json.loads(body)
                except ValueError:
                    continue
                if j.get("src") != src:
                    continue
                d = {"t_ns": int(t), "cpu_ns": int(c), "hb": j}
                m = re.search(r'"msgs":(\d+)', body)
                if m:
                    d["msgs"] = int(m.group(1))
                out.append(d)
    except OSError:
        pass
    return out


def window(samples, t_from, t_to):
    """First sample at/after T_FROM and last at/before T_TO (ns)."""
    inw = [s for s in samples if t_from <= s["t_ns"] <= t_to]
    if len(inw) < 2:
        return None
    return inw[0], inw[-1]


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt_range(xs, f="%.2f"):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "not measured"
    if len(xs) == 1:
        return f % xs[0]
    return (f + " (" + f + "–" + f + ")") % (statistics.median(xs), min(xs), max(xs))


def fmt_k(x):
    return "%.0fk" % (x / 1000.0) if x is not None else "—"


# ---------------------------------------------------------------- setup

def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except Exception:
            return ""
    model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    fam = sh("grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2").strip()
    mod = sh("grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2").strip()
    hyp = "yes" if "hypervisor" in sh("grep -m1 flags /proc/cpuinfo") else "no"
    mem_gib = int(sh("awk '/MemTotal/{print $2}' /proc/meminfo") or 0) / 1048576
    pti = sh("cat /sys/devices/system/cpu/vulnerabilities/meltdown")
    deb = sh(". /etc/os-release && echo $PRETTY_NAME")
    ver = lambda p: sh("dpkg-query -W -f='${Version}' %s 2>/dev/null" % p)
    return [
        "- `nproc` = %s; CPU \"%s\" (family %s, model %s); hypervisor: %s; %.1f GiB RAM" % (
            os.cpu_count(), model, fam, mod, hyp, mem_gib),
        "- kernel %s; meltdown: %s; %s" % (platform.release(), pti or "?", deb),
        "- gcc %s, libwebsockets %s, OpenSSL %s, libzmq %s, jansson %s, jsmn %s" % (
            ver("gcc-12") or ver("gcc"), ver("libwebsockets-dev"), ver("libssl-dev"),
            ver("libzmq3-dev"), ver("libjansson-dev"), ver("libjsmn-dev")),
        "- Python %s, python3-websockets %s, python3-zmq %s; %s, golang-github-gorilla-websocket-dev %s" % (
            platform.python_version(), ver("python3-websockets"), ver("python3-zmq"),
            sh("go version") or "go missing", ver("golang-github-gorilla-websocket-dev")),
    ]


def capture_corpus(tls, missing):
    """Capture CORPUS_N world messages per venue from mockx through feedpipe --dump."""
    corpora = {}
    if missing.get("mockx") or missing.get("feedpipe"):
        return corpora
    mx = start([os.path.join(BIN, "mockx"), "--tls-dir", tls, "--world", "--rate", "max",
                "--seed", "7", "--serve", "kraken=127.0.0.1:0", "--serve", "coinbase=127.0.0.1:0"],
               0, stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, "mockx-capture.err"), "w"))
    ports = read_port_lines(mx, VENUES)
    for v in VENUES:
        if v not in ports:
            continue
        path = os.path.join(WORK, "corpus-%s.jsonl" % v)
        p = start([os.path.join(BB, "feedpipe"), "--venue", v, "--url",
                   "wss://127.0.0.1:%d/v2" % ports[v], "--ca-file", os.path.join(tls, "ca.pem"),
                   "--dump", path, "--dump-n", str(CORPUS_N)], 1)
        t = time.time() + 60
        while time.time() < t:
            time.sleep(0.3)
            try:
                with open(path, "rb") as f:
                    if f.read().count(b"\n") >= CORPUS_N:
                        break
            except OSError:
                pass
        stop(p)
        with open(path, "rb") as f:
            n = f.read().count(b"\n")
        if n >= CORPUS_N:
            corpora[v] = path
        say("corpus %s: %d messages" % (v, n))
    stop(mx)
    return corpora


# ---------------------------------------------------------------- one client run

def run_client(kind, venue, url, ca, bus, tag):
    """Run client KIND on CPU 1 against URL for WARM+WIN s. Returns a dict of figures."""
    errp = os.path.join(WORK, "%s.err" % tag)
    hbp = os.path.join(WORK, "%s.hb" % tag)
    env = dict(os.environ, TICKBUS_BUS=bus)
    cons = None
    total = WARM + WIN + 1.0
    recp = os.path.join(WORK, "%s.rec" % tag)
    if kind in ("ours", "ours-nb", "ours-rec"):
        name = "feed-%s" % venue
        if kind == "ours-nb":  # A/B: ZeroMQ's I/O thread with the default policy
            env["TICKBUS_ZMQ_NOBATCH"] = "1"
        # A/B: every frame also appended to a file (--record, lib/framerec.c)
        rec = ["--record", recp] if kind == "ours-rec" else []
        cons = start([os.path.join(BB, "benchsub"), "--sub", "ipc://%s/%s.pub" % (bus, name),
                      "--duration", str(total + 60), "--skip", str(WARM), "--hb-out", hbp], 0,
                     stdout=open(os.path.join(WORK, "%s.sub" % tag), "w"), env=env)
        p = start([os.path.join(BIN, name), "--url", url, "--ca-file", ca, "-q"] + rec, 1,
                  stderr=open(errp, "w"), env=env)
    elif kind == "py":
        ep = "ipc://%s/pyfeed-%s.pub" % (bus, venue)
        cons = start([os.path.join(BB, "benchsub"), "--sub", ep, "--duration", str(total + 60),
                      "--skip", str(WARM)], 0,
                     stdout=open(os.path.join(WORK, "%s.sub" % tag), "w"), env=env)
        p = start([PY, os.path.join(ROOT, "tests", "bench", "peers", "pyfeed.py"), "--venue", venue,
                   "--url", url, "--ca-file", ca, "--pub", ep], 1, stderr=open(errp, "w"), env=env)
    else:
        exe = [os.path.join(BB, "gofeed"), "-venue", venue, "-url", url, "-ca-file", ca] \
            if kind == "go" else \
            [os.path.join(BB, "feedpipe"), "--venue", venue, "--url", url, "--ca-file", ca]
        p = start(exe, 1, stdout=subprocess.PIPE, stderr=open(errp, "w"), env=env)
        cons = subprocess.Popen(["taskset", "-c", "0", "cat"], stdin=p.stdout,
                                stdout=subprocess.DEVNULL, start_new_session=True)
        procs.append(cons)
        p.stdout.close()
    t_start = time.time_ns()
    time.sleep(WARM)
    t_from = time.time_ns()
    time.sleep(WIN)
    t_to = time.time_ns()
    mm = mem(p.pid)
    time.sleep(1.05)  # one more stats/hb sample after the window
    alive = p.poll() is None
    stop(p)
    stop(cons)  # benchsub prints its summary on SIGTERM
    r = {"kind": kind, "venue": venue, "alive": alive, "mem": mm}
    if os.path.exists(recp):  # the recording: its size, then gone (GBs at these rates)
        r["rec_bytes"] = os.path.getsize(recp)
        with open(recp, "rb") as f:
            r["rec_lines"] = sum(c.count(b"\n") for c in iter(lambda: f.read(1 << 20), b""))
        os.remove(recp)
    if kind in ("ours", "ours-nb", "ours-rec"):
        s = parse_hb(hbp, "feed-%s" % venue)
        s = [x for x in s if "msgs" in x and x["cpu_ns"] >= 0]
    else:
        s = parse_stats(errp)
    w = window(s, t_from - 600_000_000, t_to + 600_000_000)
    if not w:
        r["error"] = "no samples (see %s)" % errp
        return r
    a, b = w
    dm = b["msgs"] - a["msgs"]
    dt = (b["t_ns"] - a["t_ns"]) / 1e9
    dc = b["cpu_ns"] - a["cpu_ns"]
    if dm <= 0 or dt <= 0:
        r["error"] = "no messages in the window (see %s)" % errp
        return r
    r.update(msgs_s=dm / dt, cpu_us=dc / dm / 1e3, util=dc / 1e9 / dt, n=dm)
    sub = os.path.join(WORK, "%s.sub" % tag)
    if os.path.exists(sub):
        with open(sub) as f:
            r["sub"] = f.read()
    return r


def throughput(mode, corpora, tls, bus, missing, reps, venues):
    """Alternate ours (bus), ours (pipe), go, py against replay in MODE."""
    res = []
    if missing.get("replay"):
        return res
    kinds = [("ours", "feed-%s"), ("pipe", "feedpipe"), ("go", "gofeed"), ("py", None)]
    for v in venues:
        if v not in corpora:
            continue
        rp = start([os.path.join(BB, "replay"), "-cert", os.path.join(tls, "server.pem"),
                    "-key", os.path.join(tls, "server.key"), "-corpus", corpora[v], "-mode", mode],
                   0, stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, "replay.err"), "a"))
        line = rp.stdout.readline().decode().strip()
        if not line.isdigit():
            say("replay did not start")
            stop(rp)
            continue
        url = "wss://127.0.0.1:%s/v2" % line
        for rep in range(reps):
            order = kinds[rep % len(kinds):] + kinds[:rep % len(kinds)]
            if rep == 0 and mode == "batch" and not QUICK:  # once: the I/O thread policy A/B
                i = [k for k, _ in order].index("ours")
                order = order[:i + 1] + [("ours-nb", "feed-%s")] + order[i + 1:]
            if rep == 0 and mode == "batch" and (not QUICK or v == "kraken"):
                # once, next to ours: the cost of --record
                i = [k for k, _ in order].index("ours")
                order = order[:i + 1] + [("ours-rec", "feed-%s")] + order[i + 1:]
            for kind, exe in order:
                m = None
                if kind in ("ours", "ours-nb", "ours-rec") and missing.get("feed-%s" % v):
                    m = "feed-%s" % v
                elif kind == "pipe" and missing.get("feedpipe"):
                    m = "feedpipe"
                elif kind == "go" and missing.get("gofeed"):
                    m = "gofeed"
                if m:
                    res.append({"kind": kind, "venue": v, "error": "not measured: %s missing" % m})
                    continue
                r = run_client(kind, v, url, os.path.join(tls, "ca.pem"), bus,
                               "%s-%s-%s-%d" % (mode, v, kind, rep))
                r["mode"], r["rep"] = mode, rep
                res.append(r)
                say("%s %s %-4s rep %d: %s" % (mode, v, kind, rep, r.get("error") or
                    "%.0f msgs/s, %.2f µs/msg, cpu %.0f%%" % (r["msgs_s"], r["cpu_us"],
                                                              100 * r["util"])))
        stop(rp)
    return res


# ---------------------------------------------------------------- the profile

def perf_works():
    """perf can sample a process of ours here (software cpu-clock: VMs often have no PMU)."""
    if not shutil.which("perf"):
        return "perf not installed"
    out = os.path.join(WORK, "perf-probe.data")
    r = subprocess.run(["perf", "record", "-e", "cpu-clock", "-o", out, "--", "true"],
                       capture_output=True, text=True)
    return None if r.returncode == 0 else "perf record failed: %s" % r.stderr.strip()[-200:]


def profile(corpora, tls, bus, missing, secs):
    """perf record (cpu-clock, DWARF call chains, all threads) of feed-VENUE against replay
    batch on CPU 1, categorised by tests/bench/perfcat.py. {venue: Counter} or {venue: str}."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import perfcat  # tests/bench/perfcat.py
    res = {}
    why = perf_works() or (missing.get("replay") and "replay missing")
    for v in VENUES:
        if why or v not in corpora or missing.get("feed-%s" % v):
            res[v] = why or "not measured"
            continue
        rp = start([os.path.join(BB, "replay"), "-cert", os.path.join(tls, "server.pem"),
                    "-key", os.path.join(tls, "server.key"), "-corpus", corpora[v], "-mode", "batch"],
                   0, stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, "replay.err"), "a"))
        port = rp.stdout.readline().decode().strip()
        if not port.isdigit():
            res[v] = "replay did not start"
            stop(rp)
            continue
        env = dict(os.environ, TICKBUS_BUS=bus)
        name = "feed-%s" % v
        cons = start([os.path.join(BB, "benchsub"), "--sub", "ipc://%s/%s.pub" % (bus, name),
                      "--duration", str(secs + 60)], 0, stdout=subprocess.DEVNULL, env=env)
        p = start([os.path.join(BIN, name), "--url", "wss://127.0.0.1:%s/v2" % port, "--ca-file",
                   os.path.join(tls, "ca.pem"), "-q"], 1,
                  stderr=open(os.path.join(WORK, "profile-%s.err" % v), "w"), env=env)
        time.sleep(0.6 if QUICK else WARM)
        data = os.path.join(WORK, "perf-%s.data" % v)
        r = subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "999", "--call-graph",
                            "dwarf,16384", "-o", data, "-p", str(p.pid), "--", "sleep", str(secs)],
                           capture_output=True, text=True)
        stop(p)
        stop(cons)
        stop(rp)
        if r.returncode != 0:
            res[v] = "perf record failed: %s" % r.stderr.strip()[-200:]
            continue
        sc = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True)
        c = perfcat.classify_stream(sc.stdout.splitlines())
        res[v] = c
        tot = sum(c.values()) or 1
        say("profile %s: %d samples; %s" % (v, sum(c.values()), ", ".join(
            "%s %.0f%%" % (k, 100 * n / tot) for k, n in c.most_common(5))))
        try:
            os.unlink(data)
        except OSError:
            pass
    return res


# ---------------------------------------------------------------- the pipeline

PIPE_PROGS = ["feed-kraken", "feed-coinbase", "aggregator", "sink-jsonl"]


def pipeline(rate, secs, tls, bus, tag, mem_every=0):
    """mockx at RATE per venue (CPU 0) -> feeds, aggregator, sink (CPU 1) for SECS.
    Returns per-program CPU, counters, latency and memory samples."""
    env = dict(os.environ, TICKBUS_BUS=bus)
    data = os.path.join(WORK, "data-%s" % tag)
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    mx = start([os.path.join(BIN, "mockx"), "--tls-dir", tls, "--world", "--rate", str(rate),
                "--seed", "11", "--serve", "kraken=127.0.0.1:0", "--serve", "coinbase=127.0.0.1:0"],
               0, stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, "mockx-%s.err" % tag), "w"),
               env=env)
    ports = read_port_lines(mx, VENUES)
    ca = os.path.join(tls, "ca.pem")
    ps = {}
    hbp = os.path.join(WORK, "%s.hb" % tag)
    subs = ["--sub", "ipc://%s/feed-kraken.pub" % bus, "--sub", "ipc://%s/feed-coinbase.pub" % bus,
            "--sub", "ipc://%s/aggregator.pub" % bus, "--sub", "ipc://%s/sink-jsonl.pub" % bus]
    sub = start([os.path.join(BB, "benchsub")] + subs + ["--duration", str(secs + 60), "--skip", "1.2" if QUICK else "3",
                "--hb-out", hbp], 0, stdout=open(os.path.join(WORK, "%s.sub" % tag), "w"), env=env)
    for v in VENUES:
        ps["feed-" + v] = start([os.path.join(BIN, "feed-" + v), "--url",
                                 "wss://127.0.0.1:%d/v2" % ports.get(v, 1), "--ca-file", ca, "-q"],
                                1, stderr=open(os.path.join(WORK, "%s-feed-%s.err" % (tag, v)), "w"),
                                env=env)
    ps["aggregator"] = start([os.path.join(BIN, "aggregator"), "-q", "--sub",
                              "ipc://%s/feed-kraken.pub" % bus, "--sub",
                              "ipc://%s/feed-coinbase.pub" % bus], 1,
                             stderr=open(os.path.join(WORK, "%s-aggregator.err" % tag), "w"), env=env)
    ps["sink-jsonl"] = start([os.path.join(BIN, "sink-jsonl"), "-q", "--dir", data,
                              "--compress", "none"], 1,
                             stderr=open(os.path.join(WORK, "%s-sink.err" % tag), "w"), env=env)
    t_begin = time.time()
    mems = []
    time.sleep(1.2 if QUICK else 3)
    t_from = time.time_ns()
    cpu0 = {k: cpu_ns(p.pid) for k, p in ps.items()}
    end = time.time() + secs
    while time.time() < end:
        step = min(mem_every or secs, end - time.time())
        time.sleep(max(step, 0))
        mems.append((time.time() - t_begin, {k: mem(p.pid) for k, p in ps.items()}))
    t_to = time.time_ns()
    cpu1 = {k: cpu_ns(p.pid) for k, p in ps.items()}
    alive = {k: p.poll() is None for k, p in ps.items()}
    time.sleep(1.05)  # the last hb of the window
    stop(sub)
    for k in ["feed-kraken", "feed-coinbase", "aggregator", "sink-jsonl"]:
        stop(ps[k])
    stop(mx)
    dt = (t_to - t_from) / 1e9
    r = {"rate": rate, "secs": dt, "alive": alive, "mems": mems, "cpu": {}, "hb": {}}
    for k in ps:
        if cpu0[k] is not None and cpu1[k] is not None:
            r["cpu"][k] = (cpu1[k] - cpu0[k]) / 1e9 / dt
        hb = parse_hb(hbp, k)
        w = window(hb, t_from, t_to + 1_500_000_000)
        if w:
            r["hb"][k] = (w[0], w[1])
    with open(os.path.join(WORK, "%s.sub" % tag)) as f:
        r["sub"] = f.read()
    lines = 0
    for fn in glob.glob(os.path.join(data, "*.jsonl")):
        with open(fn, "rb") as f:
            lines += f.read().count(b"\n")
    r["sink_lines"] = lines
    r["sink_secs"] = time.time() - t_begin
    return r


def sub_field(text, prefix, key):
    for line in (text or "").splitlines():
        if line.startswith(prefix):
            m = re.search(r"\b%s=([\d.]+)" % re.escape(key), line)
            if m:
                return float(m.group(1))
    return None


def hb_delta(r, prog, key):
    """Counter KEY (anywhere in the hb JSON) over the window, summed over its occurrences."""
    if prog not in r["hb"]:
        return None
    a, b = r["hb"][prog]

    def total(hb):
        s = 0
        for m in re.finditer(r'"%s":(\d+)' % re.escape(key), json.dumps(hb["hb"], separators=(",", ":"))):
            s += int(m.group(1))
        return s
    return total(b) - total(a)


# ---------------------------------------------------------------- main

def catchup_bench(missing):
    """the catch-up history (aggregator/history) holding WINDOW s of real-size ticks: its memory,
    and the time a reader (sink/follow) takes to fetch all of it over ipc (tests/bench/catchup.c)"""
    if missing.get("catchup"):
        return []
    rows = []
    for window in ((900,) if QUICK else (60, 900, 3600)):
        out = subprocess.run(["taskset", "-c", "1", os.path.join(BB, "catchup"), str(window),
                              "3" if QUICK else "7"], capture_output=True, text=True).stdout
        runs = [dict((k, float(v)) for k, v in re.findall(r"(\w+)=([\d.]+)", line))
                for line in out.splitlines() if line.startswith("catchup ")]
        if runs:
            r = runs[0]
            r["serve"] = [x["serve_ms"] for x in runs]
            r["complete"] = all(x["got"] == x["entries"] for x in runs)
            rows.append(r)
            say("catch-up %d s: %d entries, %.2f MB, serve %s ms" % (
                window, r["entries"], r["bytes"] / 1e6, fmt_range(r["serve"], "%.1f")))
    return rows


def sink_bench(missing):
    """sink-jsonl alone: tickgen publishes N ticks back to back; lines/s from the first to the
    last line in the file, and the sink's CPU per line; with --fsync 1 and with fsync per line."""
    out = []
    if missing.get("sink-jsonl") or not have(os.path.join(BIN, "tickgen")):
        return out
    for fsync, n in (("1", 2000 if QUICK else 20000), ("0", 300 if QUICK else 3000)):
        d = os.path.join(WORK, "sinkbench-%s" % fsync)
        bus = os.path.join(d, "bus")
        os.makedirs(bus, mode=0o700)
        env = dict(os.environ, TICKBUS_BUS=bus)
        sink = start([os.path.join(BIN, "sink-jsonl"), "--dir", d, "--fsync", fsync], 1, env=env)
        gen = start([os.path.join(BIN, "tickgen"), "--name", "aggregator", "--count", str(n),
                     "--interval-ms", "0", "--delay-ms", "700" if QUICK else "1500",
                     "--start", "2026-01-01T00:00:00Z"],
                    0, env=env)
        path = os.path.join(d, "kxbtc15m-2026-01-01.jsonl")
        c0 = cpu_ns(sink.pid)
        t_first = t_last = None
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with open(path, "rb") as f:
                    k = f.read().count(b"\n")
            except OSError:
                k = 0
            now = time.time()
            if k and t_first is None:
                t_first, c0 = now, cpu_ns(sink.pid)
            if k >= n:
                t_last = now
                break
            time.sleep(0.005)
        c1 = cpu_ns(sink.pid)
        stop(gen)
        stop(sink)
        if t_first is None or t_last is None or t_last <= t_first:
            out.append({"fsync": fsync, "n": n, "err": "not all lines arrived within 60 s"})
            continue
        out.append({"fsync": fsync, "n": n, "rate": (n - 1) / (t_last - t_first),
                    "cpu_us": (c1 - c0) / 1e3 / n if c0 is not None and c1 is not None else None})
        say("sink --fsync %s: %.0f lines/s" % (fsync, out[-1]["rate"]))
    return out


def recovery_rows():
    """The last `make chaos` table (docs/RELIABILITY.md), for the recovery figures."""
    try:
        with open(os.path.join(ROOT, "docs", "RELIABILITY.md")) as f:
            text = f.read()
    except OSError:
        return None, []
    m = re.search(r"Run `full` finished ([^(]*)\(", text)
    a, b = text.find("CHAOS-TABLE BEGIN"), text.find("CHAOS-TABLE END")
    table = text[a:b] if 0 <= a < b else ""
    rows = [l for l in table.splitlines() if l.startswith("| ") and not l.startswith("| fault")]
    return (m.group(1).strip() if m else None), rows


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    tls = os.path.join(WORK, "tls")
    bus = os.path.join(WORK, "bus")
    os.makedirs(bus, mode=0o700)
    missing = {}
    for prog in ["mockx", "feed-kraken", "feed-coinbase", "aggregator", "sink-jsonl"]:
        if not have(os.path.join(BIN, prog)):
            missing[prog] = True
    for prog in ["feedpipe", "floor", "benchsub", "gofeed", "replay", "catchup"]:
        if not have(os.path.join(BB, prog)):
            missing[prog] = True
    if missing:
        say("missing: %s" % " ".join(sorted(missing)))
    say("mode: %s" % ("QUICK" if QUICK else "full"))
    mach = machine()

    corpora = capture_corpus(tls, missing)
    floor = {}
    if not missing.get("floor"):
        for v, path in corpora.items():
            out = subprocess.run(["taskset", "-c", "1", os.path.join(BB, "floor"), v, path,
                                  str(FLOOR_REPS)], capture_output=True, text=True).stdout
            js = [float(x) for x in re.findall(r"jansson_ns=([\d.]+)", out)]
            ours = [float(x) for x in re.findall(r"ours_ns=([\d.]+)", out)]
            mb = re.search(r"mean_bytes=(\d+)", out)
            floor[v] = {"jansson": [x / 1e3 for x in js], "ours": [x / 1e3 for x in ours],
                        "bytes": int(mb.group(1)) if mb else None}
            say("floor %s: jansson %s µs, ours (no I/O) %s µs" % (
                v, fmt_range(floor[v]["jansson"]), fmt_range(floor[v]["ours"])))

    if not missing.get("floor"):
        out = subprocess.run(["taskset", "-c", "1", os.path.join(BB, "floor"), "shapes",
                              str(FLOOR_REPS)], capture_output=True, text=True).stdout
        floor["_shapes"] = [dict(name=m[0], bytes=int(m[1]), tokens=int(m[2]), ms=int(m[3]) / 1e6)
                            for m in re.findall(r"shape name=(\S+) bytes=(\d+) tokens=(-?\d+) ns=(\d+)", out)]
        say("jtok shapes (ms per 1 MiB): %s" % {r["name"]: round(r["ms"], 2) for r in floor["_shapes"]})
    tp = throughput("batch", corpora, tls, bus, missing, REPS, VENUES)
    tp_rec = throughput("record", corpora, tls, bus, missing, 1, ["kraken"]) if RECORD_MODE else []
    prof = profile(corpora, tls, bus, missing, PROF_S)

    scale = []
    pipe_missing = [p for p in ["mockx"] + PIPE_PROGS if missing.get(p)]
    if not pipe_missing:
        for rate, secs in SCALE:
            r = pipeline(rate, secs, tls, bus, "scale-%s" % rate)
            scale.append(r)
            say("pipeline rate=%s: cpu %s" % (rate, {k: round(v, 3) for k, v in r["cpu"].items()}))
    long_run = None
    if not pipe_missing and LONG_S:
        long_run = pipeline(LONG_RATE, LONG_S, tls, bus, "long", mem_every=10)
        say("long run done")
    sinks = sink_bench(missing)
    catchup = catchup_bench(missing)
    stop_all()
    stalls = None
    if os.environ.get("BENCH_STALL", "1") != "0":  # the longest section (30 min), so the last
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import stall  # tests/bench/stall.py
        stalls = stall.run(BIN, WORK, QUICK, say=say)
    write_doc(mach, corpora, floor, tp, tp_rec, scale, long_run, missing, pipe_missing, prof, sinks,
              catchup, stalls)
    say("wrote %s" % OUT)
    if os.environ.get("BENCH_SERIES", "1") != "0" and not QUICK:
        # the cost of each added series: three demo runs of the whole pipeline (~5 min); its
        # section replaces the one the page had
        say("series cost: tests/bench/series_cost.py (BENCH_SERIES=0 skips it)")
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "bench", "series_cost.py"),
                        "--doc", OUT], env=dict(os.environ, BIN=BIN))
    if os.environ.get("BENCH_CURVE", "1") != "0":
        # CURVE's cost per message over tcp next to ipc (~1 min); its section replaces its own
        say("CURVE cost: tests/bench/curve_cost.py (BENCH_CURVE=0 skips it)")
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "bench", "curve_cost.py"),
                        "--doc", OUT] + (["--reps", "1", "--n", "50000"] if QUICK else []))
    if QUICK:  # the full run's doc says how long the last QUICK run took
        with open(QUICK_LAST, "w") as f:
            f.write("%.1f %s\n" % (time.time() - T0, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))


# "## " sections of PERFORMANCE.md that the run above does not measure (their own tools do, and
# each says how; series_cost.py and curve_cost.py run after it and replace their own): kept when the page is rewritten
KEPT = ("## The RTI proxy against the official value", "## Series: what each added series costs",
        "## The bus between hosts: what CURVE costs")


def kept_sections(path):
    """the KEPT sections of the page at PATH, each a list of lines ending with a blank one"""
    try:
        lines = open(path).read().split("\n")
    except OSError:
        return []
    out, cur = [], None
    for line in lines:
        if line.startswith("## "):
            cur = [] if line.startswith(KEPT) else None
            if cur is not None:
                out.append(cur)
        if cur is not None:
            cur.append(line)
    for sec in out:
        while sec and not sec[-1].strip():
            sec.pop()
        sec.append("")
    return out


def write_doc(mach, corpora, floor, tp, tp_rec, scale, long_run, missing, pipe_missing, prof=None,
              sinks=None, catchup=None, stalls=None):
    floor = dict(floor or {})
    shapes = floor.pop("_shapes", [])
    L = []
    w = L.append
    w("# Performance")
    w("")
    w("Written by `make bench%s` (tests/bench/run.sh → tests/bench/bench.py) on %s; the run took "
      "%.0f s. Every figure below comes from that run, except where a sentence says it was measured "
      "by hand (with the date): the section \"Tried by hand\" and one note on the ZeroMQ thread "
      "policy. Regenerate with `make bench` (full: ~10 min, then ~31 min for the stall/mute section; "
      "`BENCH_STALL=0` skips it) or `make bench QUICK=1` (~1 min, then ~3 min for the stall/mute "
      "section; one repetition, shorter windows: indicative only)." % (
          " QUICK=1" if QUICK else "", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
          time.time() - T0))
    if not QUICK:
        try:
            with open(QUICK_LAST) as f:
                secs, when = f.read().strip().split(" ", 1)
            w("")
            w("The last `make bench QUICK=1` on this machine took %s s in bench.py (plus about 0.5 s "
              "for make and the helper build check), on %s." % (secs, when))
        except (OSError, ValueError):
            pass
    w("")
    w("## Machine")
    w("")
    L.extend(mach)
    w("- Pinning: the program under test (or the whole pipeline) on CPU 1 (`taskset -c 1`); the load "
      "generator (mockx or replay) and the consumers (benchsub, `cat`) on CPU 0. Go gets GOMAXPROCS=1 "
      "from the mask.")
    w("- These VMs drift in speed by up to 1.75× for minutes at a time, so ours and the peers are run "
      "alternately in the same run (the order rotates each repetition) and figures are the median "
      "with min–max over %d repetition(s)." % REPS)
    w("")
    w("## Method")
    w("")
    w("- **Streams.** mockx (`--world --rate max`) serves the simulated Kraken v2 and Coinbase Advanced "
      "Trade markets over TLS with correct checksums and sequence numbers; %d messages per venue are "
      "captured from it through our own feed code (`feedpipe --dump`). For the one-core throughput "
      "figures, `replay` (tests/bench/replay, Go) serves that corpus in a loop as fast as the client "
      "reads: *batch* mode writes 64 KiB (many messages per TLS record), *record* mode one TLS record "
      "per message. mockx itself makes one message per writeable callback and cannot feed a client "
      "at its full speed. The pipeline and scaling figures use mockx directly at the given rates." % CORPUS_N)
    w("- **Counting.** A message is one websocket message received from the venue (book, trade, ticker, "
      "heartbeat, ack alike). CPU is user+sys of the whole process (all threads: ZeroMQ's I/O thread, "
      "Go's runtime) over a %.0f s window after %.0f s of warm-up. The peers and `feedpipe` print "
      "their message count and getrusage CPU time once a second, read at the same instant; for our "
      "bus-publishing feed, benchsub reads `/proc/PID/stat` the moment each `hb.feed-*` (which "
      "carries the message count) arrives. msgs/s is the rate reached on that one core; when CPU use "
      "is below 100%% the load generator, not the client, set the rate." % (WIN, WARM))
    w("- **Memory.** RSS, PSS and USS (Private_Clean+Private_Dirty) from `/proc/PID/smaps_rollup` at "
      "the end of the window.")
    w("- **ZeroMQ's I/O thread runs SCHED_BATCH** in every tickbus program (lib/bus.c `bus_ctx`). "
      "With the default policy, each `zmq_send` that finds the I/O thread idle wakes it through an "
      "eventfd, and on a shared core the woken thread preempts the feed at once: one or two context "
      "switches and one `sendto` per message. A SCHED_BATCH thread does not preempt on wake-up, so it "
      "runs when the feed next waits in poll, or when the feed's loop calls `bus_yield` and 64 "
      "messages or more were published since the last yield (lib/wsconn.c, lib/bus.c), and sends "
      "everything queued in one go. The batched table has one run of each feed with `TICKBUS_ZMQ_NOBATCH=1` (the default "
      "policy) next to it. The effect is largest here, where the whole process shares CPU 1; with the "
      "feed free to use both cores (not measured by `make bench`: by hand, alternating, Coinbase "
      "against replay batch, on 2026-11-28, before bus_yield was added) it was 3.28 → 3.0–3.07 µs/msg, "
      "about 8%.")
    w("")
    w("## What each program does")
    w("")
    w("| program | does | does not |")
    w("|---|---|---|")
    w("| **ours** (`bin/feed-kraken`, `bin/feed-coinbase`) | lws TLS websocket (verified), jsmn "
      "tokens, exact fixed-point numbers, 100-level book, Kraken CRC32 / Coinbase sequence check with "
      "resync, quote/book/trade with the bus envelope on a ZeroMQ PUB, hb once a second, ping/dead/"
      "stale timers, reconnect with backoff | |")
    w("| **ours, pipe** (`feedpipe`, tests/bench) | the same feed code (feeds/feed.c, the venue parser, "
      "lib/wsconn) with the ZeroMQ PUB replaced by `topic json\\n` lines on stdout, one write(2) per "
      "input message that produced output | no bus, no hb |")
    w("| **Go peer** (tests/bench/peers/gofeed, shape of the Go collector) | gorilla/websocket "
      "(Debian 1.5.0) TLS verified, reader goroutine → channel → feed goroutine, `encoding/json` "
      "Unmarshal into typed structs, float64 book in sorted slices (100 levels), Kraken CRC32 and "
      "Coinbase sequence check with resubscribe, same quote/book/trade messages and envelope via "
      "`json.Marshal`, written to a pipe (Debian has no Go ZeroMQ binding), one write(2) per input "
      "message that produced output, book.* throttled by a 100 ms ticker | no reconnect, no "
      "stale/dead timers, no hb; floats, so numbers are not exact decimals |")
    w("| **Python peer** (tests/bench/peers/pyfeed.py, shape of cryptofeed) | asyncio + "
      "python3-websockets (TLS verified, pings on), `json.loads(parse_float=Decimal)` as cryptofeed "
      "does, Decimal book with bisect-sorted keys (100 levels), Kraken CRC32 and Coinbase sequence "
      "check with resubscribe, same messages and envelope via `json.dumps`, published as two frames "
      "with `await send_multipart` on a zmq.asyncio PUB (python3-zmq), book.* timer task | no "
      "reconnect, no stale timers, no hb; no uvloop/orjson; cryptofeed's internal queue between "
      "feed and backend is not there (the real thing is slower) |")
    w("")
    w("Our feed and the Python peer publish on ZeroMQ with one subscriber (benchsub on CPU 0) "
      "receiving everything; the Go peer and `feedpipe` write to a pipe read by `cat` on CPU 0.")
    w("")

    def tp_table(res, title):
        w("### %s" % title)
        w("")
        w("| venue | program | msgs/s reached | CPU µs/msg | CPU use | one-core capacity (1/CPU per msg) | ratio vs ours (CPU/msg) | RSS / PSS / USS MiB |")
        w("|---|---|---|---|---|---|---|---|")
        names = {"ours": "ours (ZeroMQ)", "pipe": "ours (pipe)", "go": "Go peer (pipe)",
                 "py": "Python peer (ZeroMQ)",
                 "ours-nb": "ours (ZeroMQ), I/O thread not SCHED_BATCH (once)",
                 "ours-rec": "ours (ZeroMQ) with `--record FILE` (once)"}
        for v in VENUES:
            rows = [r for r in res if r["venue"] == v]
            if not rows:
                continue
            ours_cpu = med([r.get("cpu_us") for r in rows if r["kind"] == "ours"])
            for kind in ["ours", "ours-rec", "ours-nb", "pipe", "go", "py"]:
                rr = [r for r in rows if r["kind"] == kind]
                if kind in ("ours-nb", "ours-rec") and not rr:
                    continue
                ok = [r for r in rr if "cpu_us" in r]
                if not ok:
                    errs = sorted(set(r.get("error", "?") for r in rr)) or ["not run"]
                    w("| %s | %s | %s | | | | | |" % (v, names[kind], "; ".join(errs)))
                    continue
                c = med([r["cpu_us"] for r in ok])
                ratio = "%.2f×" % (c / ours_cpu) if ours_cpu and kind != "ours" else "1"
                mm = [r["mem"] for r in ok if r.get("mem")]
                mems = "%.1f / %.1f / %.1f" % tuple(x / 1024 for x in mm[-1]) if mm else "—"
                w("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    v, names[kind], fmt_range([r["msgs_s"] / 1000 for r in ok], "%.0fk"),
                    fmt_range([r["cpu_us"] for r in ok]), fmt_range([100 * r["util"] for r in ok], "%.0f%%"),
                    fmt_range([1e3 / r["cpu_us"] for r in ok], "%.0fk"), ratio, mems))
        w("")

    w("## One core: ours vs the peers")
    w("")
    if tp:
        tp_table(tp, "Batched TLS records (replay -mode batch)")
        for r in [r for r in tp if r.get("kind") == "ours-rec" and "cpu_us" in r]:
            base = med([x.get("cpu_us") for x in tp if x["venue"] == r["venue"] and x["kind"] == "ours"])
            if base and r.get("rec_lines"):
                per = r["rec_bytes"] / r["rec_lines"]
                w("- **Recording** (`--record FILE`, %s): %.2f µs/msg more than ours without it (%.2f → "
                  "%.2f, %+.0f%%), the file growing by %.0f MB/s at the rate reached (%.0f bytes per "
                  "frame, %d frames); one write(2) per frame into the page cache, the disk not waited "
                  "for." % (r["venue"], r["cpu_us"] - base, base, r["cpu_us"],
                            100 * (r["cpu_us"] / base - 1), per * r["msgs_s"] / 1e6, per, r["rec_lines"]))
                w("")
    else:
        w("not measured: %s" % (", ".join(sorted(missing)) + " missing" if missing else "no corpus"))
        w("")
    if tp_rec:
        tp_table(tp_rec, "One TLS record per message (replay -mode record, one repetition)")
    nb = [(sub_field(r.get("sub"), "lat.quote", "p50_us"), sub_field(r.get("sub"), "lat.quote", "p99_us"))
          for r in tp if r.get("kind") == "ours-nb" and r.get("sub")]
    lat = [(r["venue"], sub_field(r.get("sub"), "lat.quote", "p50_us"),
            sub_field(r.get("sub"), "lat.quote", "p99_us"), sub_field(r.get("sub"), "bus", "lost"))
           for r in tp if r.get("kind") == "ours" and r.get("sub")]
    if lat:
        w("Under this saturation load the subscriber saw quote latency (receive − ts_pub) p50 %s µs, "
          "p99 %s µs, and lost %s messages by seq (all repetitions, both venues)." % (
              fmt_range([x[1] for x in lat], "%.0f"), fmt_range([x[2] for x in lat], "%.0f"),
              "/".join("%d" % x[3] for x in lat if x[3] is not None)))
        if nb:
            w("With the I/O thread at the default policy (the once-run row): p50 %s µs, p99 %s µs. "
              "(Without `bus_yield`, SCHED_BATCH alone held messages back until a scheduler tick at "
              "saturation: p50 4–100 ms, p99 20–360 ms when measured by hand; with it, at most 64 "
              "messages.)" % (
                  fmt_range([x[0] for x in nb], "%.0f"), fmt_range([x[1] for x in nb], "%.0f")))
        w("")

    w("## The floor: parse-only cost of the same messages")
    w("")
    if floor:
        w("`floor` (tests/bench/floor.c) loops over the captured corpus in memory on CPU 1, alternating: "
          "jansson `json_loadb`+`json_decref` (a DOM parse and nothing else), and our feed's whole "
          "per-message path without I/O (jsmn, exact decimals, book, checksum/sequence, quote/trade "
          "body formatting; the bus send excluded). %d repetitions." % FLOOR_REPS)
        w("")
        w("| venue | mean bytes | jansson parse only µs | ours, no I/O µs | ours no-I/O ÷ jansson | ours end-to-end (batched, ZeroMQ) ÷ jansson |")
        w("|---|---|---|---|---|---|")
        for v, f in floor.items():
            j, o = med(f["jansson"]), med(f["ours"])
            e2e = med([r.get("cpu_us") for r in tp if r.get("venue") == v and r.get("kind") == "ours"])
            w("| %s | %s | %s | %s | %.2f× | %s |" % (
                v, f["bytes"], fmt_range(f["jansson"]), fmt_range(f["ours"]), o / j if j else 0,
                "%.2f×" % (e2e / j) if e2e and j else "not measured"))
        w("")
    else:
        w("not measured: %s" % ("floor or corpus missing"))
        w("")

    if shapes:
        w("### Parse time by the frame's shape")
        w("")
        w("`floor shapes`: `jtok_parse` alone on 1 MiB frames (the venue frame limit), best of %d on "
          "CPU 1. Time is linear in the size whatever the nesting; nesting deeper than %d is "
          "rejected at the 65th bracket (tokens -1). jsmn's own parser took 12.6 s for a 200 KB frame "
          "nested 100000 deep (quadratic in depth; measured by hand, 2026-12-03)." % (FLOOR_REPS, 64))
        w("")
        w("| shape | bytes | tokens | ms | ÷ flat |")
        w("|---|---|---|---|---|")
        flat = next((r["ms"] for r in shapes if r["name"] == "flat"), None)
        for r in shapes:
            w("| %s | %d | %d | %.2f | %s |" % (r["name"], r["bytes"], r["tokens"], r["ms"],
                                               "%.2f" % (r["ms"] / flat) if flat else "-"))
        w("")

    w("## The pipeline: scaling, drops, latency")
    w("")
    if pipe_missing:
        w("not measured: %s missing" % ", ".join(pipe_missing))
        w("")
    if scale:
        w("mockx `--world --rate R` per venue (Kraken and Coinbase) on CPU 0; feed-kraken, feed-coinbase, "
          "aggregator and sink-jsonl together on CPU 1; benchsub on CPU 0 subscribes to all four. CPU is "
          "from `/proc/PID/stat` over the window (%s s per rate), as a fraction of one core." % (
              "/".join(str(s) for _, s in SCALE)))
        w("")
        w("| rate/venue | kraken msgs/s got | coinbase msgs/s got | feed-kraken | feed-coinbase | aggregator | sink-jsonl | pipeline CPU | CPU µs per venue msg | drops |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        for r in scale:
            got = {}
            for v in VENUES:
                d = hb_delta(r, "feed-" + v, "msgs")
                hb = r["hb"].get("feed-" + v)
                if d is not None and hb:
                    got[v] = d / ((hb[1]["t_ns"] - hb[0]["t_ns"]) / 1e9)
            cpu = r["cpu"]
            tot = sum(cpu.values())
            nmsg = sum(got.values())
            drops = []
            for v in VENUES:
                p = "feed-" + v
                for key, where in [("drops", "bus (PUB HWM)"), ("gaps", "parser (gap)"),
                                   ("resyncs", "parser (resync)"), ("bad_frames", "parser (bad frame)"),
                                   ("oversize_frames", "socket (oversize)")]:
                    d = hb_delta(r, p, key)
                    if d:
                        drops.append("%s %s: %d" % (p, where, d))
                want = r["rate"]
                if want != "max" and v in got and got[v] < 0.9 * float(want):
                    drops.append("%s socket/server: got %.0f of %s msgs/s" % (p, got[v], want))
            lost = sub_field(r["sub"], "bus", "lost")
            if lost:
                drops.append("bus seq gaps at the subscriber: %d" % lost)
            for prog in ["aggregator", "sink-jsonl"]:
                for key in ["lost", "drops", "pub_drops", "queued"]:
                    d = hb_delta(r, prog, key)
                    if d:
                        drops.append("%s %s: %d" % (prog, key, d))
            dead = [k for k, a in r["alive"].items() if not a]
            if dead:
                drops.append("exited: " + ", ".join(dead))
            w("| %s | %s | %s | %s | %s | %s | %s | %.1f%% | %s | %s |" % (
                r["rate"], "%.0f" % got["kraken"] if "kraken" in got else "—",
                "%.0f" % got["coinbase"] if "coinbase" in got else "—",
                *["%.1f%%" % (100 * cpu[k]) if k in cpu else "—" for k in PIPE_PROGS],
                100 * tot, "%.2f" % (tot * 1e6 / nmsg) if nmsg else "—",
                "; ".join(drops) or "none"))
        w("")
        first = None
        for r in scale:
            t = [row for row in [r] if r["sub"] and (sub_field(r["sub"], "bus", "lost") or 0) > 0]
            if t and first is None:
                first = r["rate"]
        w("First drop on the bus (seq gaps seen by a subscriber): %s." % (
            "at rate %s" % first if first else "none at any rate measured"))
        w("")
        w("| rate/venue | quote latency feed→subscriber p50 / p99 µs | book p50 / p99 µs | tick lag p50 / p99 / max ms | sink lines/s |")
        w("|---|---|---|---|---|")
        for r in scale:
            s = r["sub"]
            w("| %s | %s / %s | %s / %s | %s | %.2f |" % (
                r["rate"], sub_field(s, "lat.quote", "p50_us"), sub_field(s, "lat.quote", "p99_us"),
                sub_field(s, "lat.book", "p50_us"), sub_field(s, "lat.book", "p99_us"),
                "%.2f / %.2f / %.2f" % tuple((sub_field(s, "ticklag", k) or 0) / 1000
                                           for k in ["p50_us", "p99_us", "max_us"])
                if sub_field(s, "ticklag", "n") else "no ticks",
                r["sink_lines"] / r["sink_secs"]))
        w("")
        w("Bus latency is measured by benchsub (receive time − `ts_pub`), a subscriber like the "
          "aggregator on the same host; tick lag is the tick's `ts_pub` minus the UTC second it is "
          "for. The sink writes one tick line a second plus events, so its lines/s is the pipeline's "
          "output rate, not its capacity.")
        w("")
    w("## Memory over a run")
    w("")
    if long_run:
        ms = long_run["mems"]
        w("The pipeline at %s msgs/s per venue for %.0f s (mockx on CPU 0, the pipeline on CPU 1), "
          "sampled every 10 s. MiB, first sample → last sample (min–max over the samples)." % (
              LONG_RATE, long_run["secs"]))
        w("")
        w("| program | RSS | PSS | USS |")
        w("|---|---|---|---|")
        tot_pss = []
        for _, d in ms:
            tot_pss.append(sum(x[1] for x in d.values() if x) / 1024)
        for k in PIPE_PROGS:
            xs = [d.get(k) for _, d in ms if d.get(k)]
            if not xs:
                w("| %s | not measured | | |" % k)
                continue
            cells = []
            for i in range(3):
                col = [x[i] / 1024 for x in xs]
                cells.append("%.1f → %.1f (%.1f–%.1f)" % (col[0], col[-1], min(col), max(col)))
            w("| %s | %s |" % (k, " | ".join(cells)))
        if tot_pss:
            w("| **pipeline (sum of PSS)** | | %.1f → %.1f (%.1f–%.1f) | |" % (
                tot_pss[0], tot_pss[-1], min(tot_pss), max(tot_pss)))
        w("")
        s = long_run["sub"]
        w("Over this run: quote latency p50 %s µs, p99 %s µs; tick lag p50 %s, p99 %s, max %s µs over "
          "%s ticks; bus messages lost by seq: %s; sink %.2f lines/s." % (
              sub_field(s, "lat.quote", "p50_us"), sub_field(s, "lat.quote", "p99_us"),
              sub_field(s, "ticklag", "p50_us"), sub_field(s, "ticklag", "p99_us"),
              sub_field(s, "ticklag", "max_us"), sub_field(s, "ticklag", "n"),
              sub_field(s, "bus", "lost"), long_run["sink_lines"] / long_run["sink_secs"]))
        w("")
        w("The issue asks for 10 minutes; `make bench` must finish in under 10, so this run is %.0f s. "
          "Run it longer with the same code by raising LONG_S in tests/bench/bench.py." % long_run["secs"])
    else:
        w("not measured in %s: %s" % ("QUICK mode" if QUICK else "this run",
                                      "pipeline programs missing: " + ", ".join(pipe_missing)
                                      if pipe_missing else "the long run is skipped in QUICK mode"))
    w("")
    w("## Against the targets")
    w("")
    for line in targets(tp, scale, long_run):
        w("- " + line)
    w("")
    w("### Where the time goes (ours)")
    w("")
    prof = prof or {}
    counted = {v: c for v, c in prof.items() if not isinstance(c, str) and sum(c.values())}
    if counted:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import perfcat
        e2e = {v: med([r.get("cpu_us") for r in tp if r.get("venue") == v and r.get("kind") == "ours"])
               for v in counted}
        w("`perf record -e cpu-clock -F 999 --call-graph dwarf` of the feed (all its threads) for %.1f s "
          "against replay batch, after the throughput runs; each sample is put in one category by its "
          "call chain (tests/bench/perfcat.py). µs/msg = share × the median CPU µs/msg of ours "
          "(ZeroMQ) above. The sampling itself slows the process a little; shares, not absolute "
          "times, are what the profile gives." % PROF_S)
        w("")
        vs = list(counted)
        w("| where | " + " | ".join("%s %% | %s µs/msg" % (v, v) for v in vs) + " |")
        w("|---|" + "---|---|" * len(vs))
        for k, label in perfcat.CATS:
            cells = []
            for v in vs:
                c = counted[v]
                sh = c[k] / sum(c.values())
                cells.append("%.1f%% | %s" % (100 * sh, "%.2f" % (sh * e2e[v]) if e2e[v] else "—"))
            w("| %s | %s |" % (label, " | ".join(cells)))
        w("| **total** (samples) | " + " | ".join("100%% (%d) | %s" % (
            sum(counted[v].values()), "%.2f" % e2e[v] if e2e[v] else "—") for v in vs) + " |")
        w("")
        for v in vs:
            c = counted[v]
            t = sum(c.values())
            sh = lambda *ks: 100.0 * sum(c[k] for k in ks) / t
            w("- %s: transport (OpenSSL + kernel receive + libwebsockets) %.0f%%, of which libwebsockets' "
              "per-byte websocket parser alone %.0f%%; our parsing, book and JSON writing %.0f%%; "
              "publishing on ZeroMQ (envelope, zmq_send, wake-ups, I/O thread) %.0f%%; clock reads %.0f%%."
              % (v, sh("ssl", "kread", "kpoll", "lws"), sh("lws"), sh("recv", "parse", "book", "jw"),
                 sh("pub", "wake", "zio"), sh("clock")))
        w("")
    for v, c in prof.items():
        if isinstance(c, str):
            w("- %s: no profile: %s" % (v, c))
    for v in VENUES:
        e2e1 = med([r.get("cpu_us") for r in tp if r.get("venue") == v and r.get("kind") == "ours"])
        pipe = med([r.get("cpu_us") for r in tp if r.get("venue") == v and r.get("kind") == "pipe"])
        f = floor.get(v)
        if not e2e1 or not f:
            continue
        o = med(f["ours"])
        w("- %s, cross-check without perf: the floor's no-I/O path is %.2f µs of the %.2f µs/msg end to "
          "end (%.0f%%)%s." % (
              v, o, e2e1, 100 * o / e2e1,
              "; publishing on ZeroMQ with one subscriber costs %.2f µs %s than feedpipe's one write(2) per "
              "input message" % (abs(e2e1 - pipe), "more" if e2e1 >= pipe else "less")
              if pipe else ""))
    w("- RSS is mostly shared library pages (by /proc/PID/smaps of a feed, libcrypto is the largest, "
      "then libc, libstdc++ (for libzmq), libzmq, libssl; 31 libraries are mapped): compare USS and PSS, on which the project's memory goals are set "
      "(USS ≤ 3 MB per program, PSS for the whole pipeline).")
    w("")
    w("## Tried by hand (2026-11-28, not re-measured by this run)")
    w("")
    w("Each change was measured against replay batch with the feed pinned to CPU 1, alternating "
      "before/after runs (tests/bench's replay and benchsub, 4–5 s windows), and kept only if it "
      "helped by more than the run-to-run spread (±5–10% on this VM).")
    w("")
    w("| change | CPU µs/msg before → after | kept |")
    w("|---|---|---|")
    w("| ZeroMQ I/O thread SCHED_BATCH (lib/bus.c) | Kraken 3.1 → 2.2–2.4, Coinbase 3.7–4.0 → 2.7; "
      "but at saturation quote latency p50 1 → 4–100 ms, p99 5 → 20–360 ms (the I/O thread "
      "waits for a scheduler tick) | yes, with bus_yield |")
    w("| + `sched_yield` every loop turn that published | latency back (p50 0.14–0.4 ms) but "
      "CPU 2.2–2.5 → 2.5–2.9 per feed, and in the pipeline sharing a core a process switch per "
      "message: 10k msgs/s per venue 13–14 → 19% of a core (aggregator 1 → 3%) | no |")
    w("| + `bus_yield`: `sched_yield` after every 64 messages (lib/bus.c, called once a loop turn "
      "from lib/wsconn.c) | Kraken 2.11–2.23, Coinbase 2.36–2.42 (SCHED_BATCH without yield "
      "2.09–2.36; default policy 2.94–3.02 / 3.22–3.30), quote p50 0.5–0.65 ms, p99 4.3–4.9 ms "
      "(default 1.0 / 5.3–5.6); pipeline at 10k: 13–14% (default 14%) | yes |")
    w("| envelope: constant prefix + table integer formatter into one zmq_msg, instead of snprintf "
      "into a staging buffer and a copying zmq_send (lib/bus.c) | Kraken 3.04–3.27 → 3.11–3.18 "
      "(within noise; snprintf was ~1.8% of samples) | yes (no slower; tested) |")
    w("| OpenSSL read-ahead + 64 KiB read buffer (one read(2) for several TLS records) | "
      "Kraken 2.10–2.13 → 2.09–2.14 | no |")
    w("| lws `pt_serv_buf_size` 4 KiB → 64 KiB (bigger SSL_read chunks) | Kraken 2.10–2.13 → "
      "2.12–2.17 | no |")
    w("| lws per-protocol `rx_buffer_size` | already 64 KiB: every frame arrives whole in one "
      "callback | — |")
    w("| parse in place instead of copying into the reassembly buffer | the copy is 0.1–0.9% of "
      "samples (≤ 0.02 µs/msg): not worth the special case | not tried |")
    w("| don't format a book that is not published | already so: book.* is formatted only when it "
      "goes out (≤ 10/s), quotes only on a change of the top of book | — |")
    w("")
    w("Syscalls at saturation (perf stat tracepoints, Kraken, 3 s, ~1 M messages): ~35 k read, "
      "~21 k poll, ~7 k sendto (ZeroMQ I/O thread), a few hundred eventfd writes: about one read "
      "per 30 messages, so syscalls per TLS record are not where the time goes.")
    w("")
    w("What is left is mostly not in this repository's code: libwebsockets 4.1.6 (Debian) parses "
      "websocket frames one byte at a time (no bulk payload path in this version), ~4 ns a "
      "byte, 40–50% of our CPU per message; moving off it means our own websocket framing over "
      "OpenSSL. The next largest is our own JSON tokenizing and exact-decimal parsing (lib/jtok, "
      "feeds/<venue>.c).")
    w("")
    w("## The sink: sink-jsonl alone")
    w("")
    if sinks:
        w("tickgen publishes N ticks (~1.2 KB each) back to back; lines/s from the first line in the "
          "file to the last, and the sink's CPU per line. The publisher may be the limit at --fsync 1.")
        w("")
        w("| fsync | lines | lines/s | sink CPU µs/line |")
        w("|---|---|---|---|")
        for r in sinks:
            if "err" in r:
                w("| %s | %d | %s | |" % ("every 1 s" if r["fsync"] == "1" else "every line", r["n"], r["err"]))
            else:
                w("| %s | %d | %.0f | %s |" % ("every 1 s" if r["fsync"] == "1" else "every line", r["n"],
                                               r["rate"], "%.1f" % r["cpu_us"] if r["cpu_us"] else "?"))
        if len(sinks) == 2 and all("rate" in r for r in sinks):
            w("")
            w("fsync per line costs %.1f× the throughput of fsync every second." % (sinks[0]["rate"] / sinks[1]["rate"]))
    else:
        w("not measured: sink-jsonl or tickgen missing")
    w("")
    w("## Catch-up: the aggregator's history")
    w("")
    if catchup:
        w("What keeping the last W seconds of output costs the aggregator (`--history-s`, default 900), "
          "and how long a sink that was away the whole window takes to fetch it back over ipc "
          "(pages of 256, request to last entry handed on; tests/bench/catchup.c, one process, CPU 1). "
          "Ticks are the fixture's real tick record (tests/fixtures/agg/world-bus.expected), an event "
          "every 30 s. A standby aggregator costs what the aggregator column of the pipeline table shows.")
        w("")
        w("| window | entries | payload MB | RSS growth MB | fetch all, ms: median (min–max) | complete |")
        w("|---|---|---|---|---|---|")
        for r in catchup:
            w("| %d s | %d | %.2f | %.2f | %s | %s |" % (r["window_s"], r["entries"], r["bytes"] / 1e6,
                                                      r["rss_kb"] / 1024, fmt_range(r["serve"], "%.1f"),
                                                      "yes" if r["complete"] else "**no**"))
    else:
        w("not measured: tests/bench/catchup.c not built")
    w("")
    w("## A dead venue or a quiet one: stall and mute detection (issue 18)")
    w("")
    if stalls is None:
        w("not measured: skipped (BENCH_STALL=0)")
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import stall
        w("tests/bench/stall.py (its header says exactly how each figure is taken): mockx "
          "`--world --activity live` at %s msgs/s per venue, the three exchange feeds at their "
          "defaults, one stall or mute every %d s on one venue at a time; the fault time is when "
          "mockx applied it (its request log), detection and recovery are the `ts_pub` of the feed's "
          "first event and first quote after it. All runs go at once (%s s each%s)." % (
              "/".join(map(str, stall.RATES)), stall.SLOT, stalls.get("length", "?"),
              "; QUICK: 3 minutes, one or two faults per venue and kind" if QUICK else
              "; `STALL_S=N` shortens them, `BENCH_STALL=0` skips the section"))
        w("")
        for line in stall.table(stalls):
            w(line)
    w("")
    w("## Recovery (from the chaos suite)")
    w("")
    when, rows = recovery_rows()
    if rows:
        w("Not measured by `make bench`: copied from the last `make chaos` run (%s), which measures them "
          "under a real systemd --user (docs/RELIABILITY.md). The Go collector's design numbers for "
          "comparison: a stalled feed was caught by its 90 s internal watchdog, a stalled file by its "
          "120 s freshness timer." % (when or "date unknown"))
        w("")
        w("| fault | detected by | detection s | recovered when | back s | working s | target | ticks lost s | unexplained s | result | notes |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            w(r)
    else:
        w("docs/RELIABILITY.md has no chaos table yet: run `make chaos`.")
    w("")
    # sections measured by their own tools, not by this run: carried over from the page as it was
    for sec in kept_sections(OUT):
        L.extend(sec)
    w("## Run log")
    w("")
    w("```")
    L.extend(log_lines)
    w("```")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(L) + "\n")


def targets(tp, scale, long_run):
    out = []
    for v in VENUES:
        ours = [r for r in tp if r["venue"] == v and r["kind"] == "ours" and "cpu_us" in r]
        if not ours:
            out.append("%s: not measured" % v)
            continue
        c = med([r["cpu_us"] for r in ours])
        cap = 1e6 / c
        out.append("%s: ≥ 100k msgs/s per feed on one core: %.0fk msgs/s of CPU capacity "
                   "(1 / %.2f µs), reached %s msgs/s → %s" % (
                       v, cap / 1000, c, fmt_k(med([r["msgs_s"] for r in ours])),
                       "met" if cap >= 100000 else "missed by %.0f%%" % (100 * (1 - cap / 100000))))
        for kind, want, name in [("py", 10, "Python"), ("go", 2, "Go")]:
            pc = med([r["cpu_us"] for r in tp if r["venue"] == v and r["kind"] == kind and "cpu_us" in r])
            if pc:
                ratio = pc / c
                out.append("%s: ≥ %d× less CPU per message than the %s peer: %.2f× → %s" % (
                    v, want, name, ratio, "met" if ratio >= want else "missed (%.0f%% of the target)"
                    % (100 * ratio / want)))
        mm = [r["mem"] for r in ours if r.get("mem")]
        if mm:
            rss = mm[-1][0] / 1024
            mb = rss * 1.048576
            out.append("%s: ≤ 8 MB RSS per program: feed RSS %.1f MiB = %.1f MB (USS %.1f MiB) → %s" % (
                v, rss, mb, mm[-1][2] / 1024, "met" if mb <= 8 else
                "missed by %.1f MB (%.0f%% over); the private part (USS) is %.1f MB" % (
                    mb - 8, 100 * (mb / 8 - 1), mm[-1][2] / 1024 * 1.048576)))
    src = long_run or (scale[1] if len(scale) > 1 else None)
    if src and sub_field(src["sub"], "ticklag", "n"):
        p99 = sub_field(src["sub"], "ticklag", "p99_us") / 1000
        out.append("tick lag p99 ≤ 5 ms: %.2f ms at %s msgs/s per venue → %s" % (
            p99, src["rate"], "met (%.0f%% of the bound)" % (100 * p99 / 5) if p99 <= 5 else
            "missed by %.2f ms" % (p99 - 5)))
    else:
        out.append("tick lag p99 ≤ 5 ms: not measured")
    return out


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
