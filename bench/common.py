"""Shared pieces of the benchmarks: the run (log, temporary directory, report), the client worker
processes, the console, process CPU/RSS sampling, machine facts, percentiles, markdown reports, and
the plumbing of the floor servers.

All timestamps in the benchmarks are ``time.monotonic_ns()``: CLOCK_MONOTONIC is one clock for
the whole machine on Linux, so times taken in different processes (the bench's client workers,
its console) can be subtracted from each other.

bench/devices.py has Huitang's side that both benchmarks share: the seeded hall, the paired
devices (keys, bulk registration) and the clients' answer to the challenge.
"""

import argparse
import asyncio
import base64
import gc
import json
import math
import multiprocessing as mp
import os
import platform
import resource
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
BUSY_PERCENT = 15  # other processes' CPU (% of a core) above which a run is flagged as disturbed

now_ns = time.monotonic_ns


# ---- the wire -------------------------------------------------------------------------------

def dumps(obj):
    """Compact JSON, the same encoding as meeting.wire.dumps (so frames have comparable sizes)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def b64(raw):
    """Unpadded base64url, the protocol's spelling of keys and signatures."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---- numbers --------------------------------------------------------------------------------

def percentile(values, p):
    """The p-th percentile (0..100) by the nearest-rank method; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(values):
    """{n, p50, p90, p99, max, mean} of a list of numbers (None fields when empty)."""
    if not values:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


def ms(ns):
    return None if ns is None else ns / 1e6


def ms_summary(values_ns):
    """summarize() of nanosecond values, in milliseconds (``n`` stays a count)."""
    return {k: (ms(v) if k != "n" and v is not None else v) for k, v in summarize(values_ns).items()}


def connect_latencies(records):
    """Per device, of those that got their snapshot: handshake start → snapshot, → socket open,
    and open → snapshot (the challenge answered, where there is one), in ms."""
    up = [r for r in records if r["t_snapshot"] is not None]
    return {
        "connect_latency_ms": ms_summary([r["t_snapshot"] - r["t_start"] for r in up]),
        "handshake_latency_ms": ms_summary([r["t_open"] - r["t_start"] for r in up]),
        "auth_to_snapshot_ms": ms_summary([r["t_snapshot"] - r["t_open"] for r in up]),
    }


def median(values):
    """The upper median of the values that are not None (None if there are none)."""
    values = sorted(v for v in values if v is not None)
    return values[len(values) // 2] if values else None


# ---- the process ----------------------------------------------------------------------------

def raise_nofile_limit():
    """Raise this process's open-file soft limit to the hard limit; children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def stop_process(proc, timeout=10):
    """Terminate a child process, and kill it if it does not exit within ``timeout`` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def start_floor_process(module, args, log):
    """Start ``python -m <module> --port 0 <args>``, which prints ``READY <port>`` once it listens.

    Returns (process, port, stop)."""
    log(f"floor: starting {module} …")
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", "0", *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=None, text=True)
    line = proc.stdout.readline()
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"{module} did not start: {line!r}")
    return proc, int(line.split()[1]), lambda: stop_process(proc)


def query_sqlite(path, sql, params=()):
    """Read from a server's SQLite database (read-only, its own connection)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def peak_rss_bytes(pid):
    """The kernel's high-water mark of a process's resident set (VmHWM), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def process_cpu_clock(pid):
    """The clock id of another process's CPU-time clock (Linux: all its threads, ns resolution).

    psutil's cpu_times() counts in clock ticks (10 ms here), too coarse for the CPU one event
    costs; clock_gettime on the process's CPUCLOCK_SCHED clock is exact. None if unsupported.
    """
    clock = ((~pid) << 3) | 2  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
    try:
        time.clock_gettime(clock)
    except (OSError, OverflowError, AttributeError):
        return None
    return clock


def cpu_seconds(pid):
    """user + system CPU seconds a process has used so far (None if it is gone)."""
    clock = process_cpu_clock(pid)
    if clock is not None:
        try:
            return time.clock_gettime(clock)
        except OSError:
            return None
    try:
        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except psutil.Error:
        return None


def tree_cpu_seconds(pid):
    """CPU seconds of a process and all its descendants, live or already reaped (PostgreSQL: the
    postmaster and its backends, which come and go); None if the process is gone. Tick resolution
    (psutil), which is enough for a database server's share of a phase."""
    try:
        root = psutil.Process(pid)
        t = root.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in root.children(recursive=True):
            try:
                c = child.cpu_times()
            except psutil.Error:
                continue
            total += c.user + c.system
        return total
    except psutil.Error:
        return None


def tree_rss_bytes(pid):
    """The resident sets of a process and its descendants, summed (shared memory counted in each)."""
    try:
        root = psutil.Process(pid)
        total = root.memory_info().rss
        for child in root.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                continue
        return total
    except psutil.Error:
        return None


class ProcessSampler:
    """Samples a process's CPU and RSS every ``interval`` seconds on a thread.

    ``mark(name)`` records the process's CPU seconds and the time at a phase boundary, so the
    report can say how much CPU each phase took. The sampler keeps the peak RSS it saw and the
    kernel's own high-water mark (VmHWM), which catches peaks between samples.

    ``tree``: the process and all its descendants (a PostgreSQL cluster), CPU and RSS summed.
    """

    def __init__(self, pid, interval=0.1, tree=False):
        self.pid = pid
        self.interval = interval
        self.tree = tree
        self.proc = psutil.Process(pid)
        self.clock = None if tree else process_cpu_clock(pid)
        self.samples = []  # (t_ns, cpu_seconds, rss_bytes)
        self.marks = {}
        self.peak_rss = 0
        self.hwm = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sampler-{pid}", daemon=True)

    def start(self):
        self._sample()
        self._thread.start()
        return self

    def _sample(self):
        if self.tree:
            cpu, rss = tree_cpu_seconds(self.pid), tree_rss_bytes(self.pid)
            if cpu is None or rss is None:
                return None
            sample = (time.monotonic_ns(), cpu, rss)
            self.samples.append(sample)
            self.peak_rss = max(self.peak_rss, rss)
            return sample
        try:
            with self.proc.oneshot():
                if self.clock is not None:
                    cpu = time.clock_gettime(self.clock)
                else:
                    t = self.proc.cpu_times()
                    cpu = t.user + t.system
                rss = self.proc.memory_info().rss
        except (psutil.Error, OSError):
            return None
        now = time.monotonic_ns()
        sample = (now, cpu, rss)
        self.samples.append(sample)
        self.peak_rss = max(self.peak_rss, rss)
        return sample

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def mark(self, name):
        sample = self._sample()
        if sample is not None:
            self.marks[name] = sample
        return sample

    def stop(self):
        self._sample()
        hwm = None if self.tree else peak_rss_bytes(self.pid)
        if hwm is not None:
            self.hwm = hwm
        self._stop.set()
        self._thread.join(2)
        return self

    def cpu_between(self, start, end):
        """(CPU seconds, wall seconds, percent of one core) between two marks."""
        a, b = self.marks.get(start), self.marks.get(end)
        if a is None or b is None:
            return None, None, None
        cpu, wall = b[1] - a[1], (b[0] - a[0]) / 1e9
        return cpu, wall, (100.0 * cpu / wall if wall > 0 else None)

    def peak_cpu_percent(self, window=0.5):
        """The highest CPU% (of one core) over any ``window`` seconds of samples."""
        import bisect

        times = [s[0] for s in self.samples]
        best = 0.0
        for i, (t, cpu, _) in enumerate(self.samples):
            k = bisect.bisect_right(times, t - int(window * 1e9)) - 1
            if k < 0 or k >= i:
                continue
            wall = (t - times[k]) / 1e9
            best = max(best, 100.0 * (cpu - self.samples[k][1]) / wall)
        return best

    def series(self):
        """The samples relative to the first one: [[t_s, cpu_s, rss_MiB], ...]."""
        if not self.samples:
            return []
        t0 = self.samples[0][0]
        c0 = self.samples[0][1]
        return [[round((t - t0) / 1e9, 3), round(c - c0, 3), round(r / 2**20, 1)] for t, c, r in self.samples]

    @property
    def peak_rss_bytes(self):
        return max(self.peak_rss, self.hwm or 0)


def system_busy_seconds():
    """CPU seconds all CPUs of the machine have spent busy (not idle or waiting for I/O)."""
    t = psutil.cpu_times()
    return sum(getattr(t, f, 0.0) for f in ("user", "nice", "system", "irq", "softirq", "steal"))


class LoadMeter:
    """How much of the machine went to processes other than the ones we account for.

    The benchmark shares the machine with whatever else runs on it; if another process took CPU
    during a phase, the figures of that phase are not to be trusted, and the report says so.
    """

    def __init__(self, pids, trees=()):
        """``trees``: processes counted with all their descendants (a PostgreSQL cluster)."""
        self.pids = list(pids)
        self.trees = list(trees)
        self.marks = {}

    def mark(self, name):
        own = 0.0
        for pid in self.pids:
            own += cpu_seconds(pid) or 0.0
        for pid in self.trees:
            own += tree_cpu_seconds(pid) or 0.0
        self.marks[name] = (time.monotonic_ns(), system_busy_seconds(), own)

    def others(self, start, end):
        """CPU seconds, and % of one core, used by other processes between two marks."""
        a, b = self.marks.get(start), self.marks.get(end)
        if a is None or b is None:
            return None
        wall = (b[0] - a[0]) / 1e9
        other = max(0.0, (b[1] - a[1]) - (b[2] - a[2]))
        return {"wall_s": wall, "other_cpu_s": other,
                "other_percent": 100.0 * other / wall if wall > 0 else None}


# ---- machine --------------------------------------------------------------------------------

def machine_info():
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for name in ("websockets", "daphne", "twisted", "autobahn", "channels", "django"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = None
    return {
        "loadavg_at_start": list(os.getloadavg()),
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "nofile_limit": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
        "packages": versions,
    }


# ---- reports --------------------------------------------------------------------------------

def fmt(value, unit="", digits=1):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def ratio(a, b, digits=1):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.{digits}f}×"


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def write_report(name, data, markdown, json_path=None, results_dir=None):
    """Write <results_dir>/<name>-<timestamp>.json and .md (and the JSON also to json_path)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results_dir = Path(results_dir) if results_dir else RESULTS_DIR
    results_dir.mkdir(parents=True, exist_ok=True)
    base = results_dir / f"{name}-{stamp}"
    paths = {"json": base.with_suffix(".json"), "md": base.with_suffix(".md")}
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    paths["json"].write_text(text + "\n", encoding="utf-8")
    paths["md"].write_text(markdown + "\n", encoding="utf-8")
    if json_path:
        json_path = Path(json_path)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(text + "\n", encoding="utf-8")
        paths["json_extra"] = json_path
    return paths


def comparison_rows(report, rows, extra=None):
    """The rows of the Huitang-vs-floor table: [label, Huitang, floor, ratio, *extra(key)].

    ``rows`` are (label, headline key, unit, digits); the ratio is given for numbers only, and
    never for the rows about other processes' load."""
    h, f = report["headline"].get("huitang"), report["headline"].get("floor")
    out = []
    for label, key, unit, digits in rows:
        a = h.get(key) if h else None
        b = f.get(key) if f else None
        numeric = isinstance(a, (int, float)) and isinstance(b, (int, float)) and not key.startswith("other_load")
        out.append([label, fmt(a, unit, digits), fmt(b, unit, digits), ratio(a, b) if numeric else "",
                    *(extra(key) if extra else ())])
    return out


def machine_line(m):
    return (f"- machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}, "
            f"websockets {m['packages'].get('websockets')}, daphne {m['packages'].get('daphne')}; "
            f"load average at start {', '.join(f'{x:.2f}' for x in m['loadavg_at_start'])}")


def result_line(report, passed="PASS"):
    return f"- result: {passed if not report['failures'] else 'FAIL: ' + '; '.join(report['failures'])}"


def busy_warning(report):
    """A WARNING line (in a list) if other processes took more than BUSY_PERCENT of a core."""
    busy = [n for n, hl in report["headline"].items() if hl and (hl["other_load_percent"] or 0) > BUSY_PERCENT]
    if not busy:
        return []
    return [f"- WARNING: other processes used more than {BUSY_PERCENT}% of a core during the "
            f"{' and '.join(busy)} run(s); those figures are disturbed, run again on a quiet machine"]


# ---- one run of a benchmark -----------------------------------------------------------------

def argument_parser(bench, description):
    """The options both benchmarks have; each adds its scenario's own."""
    p = argparse.ArgumentParser(prog=f"python -m bench.{bench}", description=description)
    p.add_argument("--displays", type=int, default=10, help="hall displays (default 10)")
    p.add_argument("--workers", type=int, default=1, help="client processes (default 1; see bench/README.md)")
    p.add_argument("--concurrency", type=int, default=200, help="connects in flight (default 200)")
    p.add_argument("--settle", type=float, default=1.0, help="pause after connecting and between phases (default 1 s)")
    p.add_argument("--open-timeout", type=float, default=60.0)
    p.add_argument("--connect-timeout", type=float, default=300.0)
    p.add_argument("--skip-floor", action="store_true", help="measure Huitang only")
    p.add_argument("--skip-huitang", action="store_true", help="measure the floor only")
    p.add_argument("--server-debug", action="store_true", help="run Huitang with HUITANG_DEBUG=1")
    p.add_argument("--json", metavar="PATH", help="also write the JSON report here")
    p.add_argument("--results-dir", metavar="DIR", default=None,
                   help=f"where {bench}-<timestamp>.json/.md go (default bench/results/)")
    p.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    p.add_argument("--quiet", action="store_true")
    return p


def command_line(bench, argv=None):
    """The command as it was typed (``python -m bench.<bench> …``), for the report."""
    args = sys.argv[1:] if argv is None else argv
    return f"python -m bench.{bench} " + " ".join(shlex.quote(a) for a in args)


class Run:
    """One run of a benchmark: its log (stderr), its temporary directory and its report.

    Use as a context manager: on exit the directory is removed (unless ``--keep``)."""

    def __init__(self, bench, opts, sockets, command=None):
        nofile = raise_nofile_limit()
        need = sockets + 256
        if nofile[0] < need:
            raise RuntimeError(f"open-file limit {nofile[0]} is below the {need} this process may need")
        self.bench, self.opts, self.t0 = bench, opts, time.monotonic()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"huitang-{bench}-"))
        self.report = {
            "bench": bench, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": command or command_line(bench), "options": dict(vars(opts)), "machine": machine_info(),
            "results": {}, "headline": {}, "errors": {},
        }

    def log(self, msg):
        if not self.opts.quiet:
            print(f"[{self.bench} {time.monotonic() - self.t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.opts.keep:
            self.log(f"data kept in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def targets(self, starts, measure):
        """For each of ``starts`` ({"huitang": start, "floor": start}, less the skipped ones):
        start the target, ``measure(target)`` it, stop it; yield (name, result).

        A scenario that raises is recorded in ``report["errors"]`` (and so fails the run)."""
        for name, start in starts.items():
            if getattr(self.opts, f"skip_{name}", False):
                continue
            target, stop = start()
            try:
                result = asyncio.run(measure(target))
            except Exception as exc:  # noqa: BLE001 - the run is reported as failed, with why
                self.log(f"{name}: the scenario did not complete: {type(exc).__name__}: {exc}")
                self.report["errors"][name] = traceback.format_exc()
                continue
            finally:
                stop()
            self.report["results"][name] = result
            yield name, result

    def conclude(self, failures, render):
        """The failures of every result (and of every scenario that did not complete), the markdown."""
        report = self.report
        report["failures"] = [f for r in report["results"].values() for f in failures(r)]
        report["failures"] += [f"{name}: the scenario did not complete: {tb.strip().splitlines()[-1]}"
                               for name, tb in report["errors"].items()]
        report["markdown"] = render(report)
        return report


def publish(name, report, opts, note=""):
    """Write the report files, print the markdown; the exit status (1 if anything failed)."""
    paths = write_report(name, report, report["markdown"], opts.json, opts.results_dir)
    print(report["markdown"])
    print(f"\nwritten: {paths['json']} and {paths['md']}{note}")
    return 1 if report["failures"] else 0


# ---- the client worker processes --------------------------------------------------------------

class PipeChannel:
    """A multiprocessing Connection read from an asyncio loop (add_reader) into a queue."""

    def __init__(self, conn, loop):
        self.conn = conn
        self.queue = asyncio.Queue()
        loop.add_reader(conn.fileno(), self._readable)

    def _readable(self):
        try:
            while self.conn.poll():
                self.queue.put_nowait(self.conn.recv())
        except (EOFError, OSError):
            self.queue.put_nowait(("eof",))

    def send(self, msg):
        self.conn.send(msg)

    async def recv(self):
        return await self.queue.get()


async def _serve_swarm(conn, swarm_class, specs, opts):
    """A worker's loop: build the swarm, then obey the main process (connect, finish, or the
    scenario's own commands, which go to ``swarm.command``)."""
    channel = PipeChannel(conn, asyncio.get_running_loop())
    swarm = swarm_class(specs, opts, channel)
    channel.send(("ready", os.getpid()))
    while True:
        msg = await channel.recv()
        if msg[0] == "connect":
            await swarm.connect_all()
            # The bench must not pause itself: after connecting, move every object out of the
            # collector's reach and stop collecting (the records are a few MB).
            gc.collect()
            gc.freeze()
            gc.disable()
            channel.send(("connected", swarm.summary()))
        elif msg[0] == "finish":
            channel.send(("records", swarm.export()))
            await swarm.close_all()
            return
        elif msg[0] == "eof":
            await swarm.close_all()
            return
        else:
            swarm.command(msg)


def worker_main(conn, swarm_class, specs, opts):
    """Entry point of a client worker process (a ``spawn`` child)."""
    try:
        asyncio.run(_serve_swarm(conn, swarm_class, specs, opts))
    except Exception:
        try:
            conn.send(("crash", traceback.format_exc()))
        except Exception:
            pass
        raise


class WorkerPool:
    """The client worker processes of one target: the devices dealt round-robin over
    ``opts.workers`` spawned processes, each running a ``swarm_class`` (bench/devices.py's Swarm).

    ``extra`` goes into every worker's options (they also get ``worker``, its index)."""

    def __init__(self, swarm_class, specs, opts, name, **extra):
        loop = self.loop = asyncio.get_running_loop()
        count = max(1, min(opts.workers, len(specs)))
        ctx = mp.get_context("spawn")
        self.workers = []
        for w in range(count):
            chunk = specs[w::count]
            wopts = {"concurrency": max(1, math.ceil(opts.concurrency / count)), "attempts": 3,
                     "open_timeout": opts.open_timeout, "worker": w, **extra}
            parent_end, child_end = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(child_end, swarm_class, chunk, wopts),
                               name=f"{name}-worker-{w}", daemon=True)
            proc.start()
            child_end.close()
            self.workers.append({"proc": proc, "chan": PipeChannel(parent_end, loop), "n": len(chunk),
                                 "specs": chunk, "inbox": []})

    def __len__(self):
        return len(self.workers)

    def __iter__(self):
        return iter(self.workers)

    async def start(self, timeout=60):
        """Wait until every worker is up; sample each one's CPU and RSS from then on."""
        for w in self.workers:
            w["pid"] = (await self.expect(w, "ready", timeout))[1]
            w["sampler"] = ProcessSampler(w["pid"]).start()
        return self

    @property
    def pids(self):
        return [w["pid"] for w in self.workers if "pid" in w]

    @property
    def samplers(self):
        return [w["sampler"] for w in self.workers if "sampler" in w]

    def send(self, *msg):
        for w in self.workers:
            w["chan"].send(msg)

    async def expect(self, worker, kind, timeout):
        """The worker's next message of ``kind`` (others are kept for later)."""
        for i, msg in enumerate(worker["inbox"]):
            if msg[0] == kind:
                return worker["inbox"].pop(i)
        deadline = self.loop.time() + timeout
        while True:
            left = deadline - self.loop.time()
            if left <= 0:
                raise TimeoutError(f"{worker['proc'].name}: no {kind!r} within {timeout:.0f}s")
            msg = await asyncio.wait_for(worker["chan"].recv(), left)
            if msg[0] == kind:
                return msg
            if msg[0] == "crash":
                raise RuntimeError(f"{worker['proc'].name} crashed:\n{msg[1]}")
            if msg[0] == "eof":
                raise RuntimeError(f"{worker['proc'].name} exited")
            worker["inbox"].append(msg)

    async def expect_all(self, kind, timeout, who=None, notes=None):
        """Each worker's message ``kind`` (None for a worker left out by ``who``). With ``notes``
        (a list), a worker that times out gives None and a note instead of raising."""
        out = []
        for w in self.workers:
            if who is not None and not who(w):
                out.append(None)
                continue
            try:
                out.append(await self.expect(w, kind, timeout))
            except (TimeoutError, asyncio.TimeoutError) as exc:
                if notes is None:
                    raise
                notes.append(str(exc))
                out.append(None)
        return out

    async def connect(self, timeout, notes=None):
        """Connect every device; the ``connect`` part of a result (counts summed over workers)."""
        t_start = now_ns()
        self.send("connect")
        summaries = [m[1] for m in await self.expect_all("connected", timeout, notes=notes) if m]
        counted = [k for k in (summaries[0] if summaries else ()) if k not in ("t_last_snapshot", "errors")]
        out = {k: sum(s[k] for s in summaries) for k in counted}
        out["failed"] = sum(w["n"] for w in self.workers) - out.get("ok", 0)  # a silent worker's too
        last = [s["t_last_snapshot"] for s in summaries if s["t_last_snapshot"]]
        out["errors"] = [e for s in summaries for e in s["errors"]][:10]
        out["all_s"] = ((max(last) if last else now_ns()) - t_start) / 1e9
        return out

    async def records(self, timeout=120):
        """Every device's record (the workers then close their sockets and exit)."""
        self.send("finish")
        records = []
        for w in self.workers:
            records.extend((await self.expect(w, "records", timeout))[1])
        return records

    def close(self):
        for w in self.workers:
            if "sampler" in w:
                w["sampler"].stop()
            w["proc"].join(10)
            if w["proc"].is_alive():
                w["proc"].kill()
            self.loop.remove_reader(w["chan"].conn.fileno())


# ---- the console (main process) -----------------------------------------------------------------

class Console:
    """The operator's socket: requests with ids, its own view of the state, the gap rule.

    ``on_event(msg, t)`` is called for every event that passes the gap rule (after the state is
    updated); a scenario overrides it to time what it is waiting for."""

    def __init__(self, url, origin, headers):
        self.url, self.origin, self.headers = url, origin, headers
        self.state = {}
        self.last = {}
        self.gaps = self.dups = self.presence = 0
        self.futures = {}
        self.waiters = []
        self.next_id = 0
        self.errors = []

    async def connect(self, attempts=3):
        from websockets.asyncio.client import connect

        for attempt in range(attempts):
            try:
                self.ws = await connect(self.url, origin=self.origin, additional_headers=self.headers,
                                        compression=None, ping_interval=None, max_size=None, open_timeout=60)
                while True:
                    msg = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
                    if msg.get("type") == "presence":
                        continue
                    if msg.get("type") != "snapshot":
                        raise RuntimeError(f"console: expected a snapshot, got {str(msg)[:300]}")
                    break
                break
            except Exception:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(1)
        self.state = msg["state"]
        self.last = dict(msg["heads"])
        self.reader = asyncio.create_task(self._read())
        return msg

    async def _read(self):
        async for text in self.ws:
            t = now_ns()
            msg = json.loads(text)
            kind = msg.get("type")
            if kind in ("ok", "error"):
                fut = self.futures.pop(msg.get("id"), None)
                if fut is not None and not fut.done():
                    fut.set_result((t, msg))
            elif kind == "event":
                prev = msg.get("prev") or {}
                views = [v for v in self.last if v in prev]
                if any(msg["seq"] <= self.last[v] for v in views):
                    self.dups += 1
                    continue
                for v in views:
                    if prev[v] != self.last[v]:
                        self.gaps += 1
                    self.last[v] = msg["seq"]
                self.state.update(msg.get("data") or {})
                self.on_event(msg, t)
                self._check_waiters(t)
            elif kind == "snapshot":
                self.state, self.last = msg["state"], dict(msg["heads"])
                self._check_waiters(t)
            elif kind == "presence":
                self.presence += 1

    def on_event(self, msg, t):
        pass

    def _check_waiters(self, t):
        for pred, fut in list(self.waiters):
            if not fut.done() and pred(self.state):
                fut.set_result(t)
                self.waiters.remove((pred, fut))

    async def wait_state(self, pred, timeout):
        """Monotonic ns when the console's state first satisfies ``pred`` (now if it already does)."""
        if pred(self.state):
            return now_ns()
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append((pred, fut))
        return await asyncio.wait_for(fut, timeout)

    async def send(self, type_, **fields):
        """Send a request; return (t_send, future of (t_reply, reply))."""
        self.next_id += 1
        rid = f"c{self.next_id}"
        fut = asyncio.get_running_loop().create_future()
        self.futures[rid] = fut
        payload = dumps({"type": type_, "id": rid, **fields})
        t = now_ns()
        await self.ws.send(payload)
        return t, fut

    async def request(self, type_, timeout=60, **fields):
        """Send and wait; return (t_send, t_reply, reply). A refusal is recorded and raised."""
        t, fut = await self.send(type_, **fields)
        t_reply, reply = await asyncio.wait_for(fut, timeout)
        if reply.get("type") != "ok":
            self.errors.append({"request": type_, "reply": reply})
            raise RuntimeError(f"console {type_} refused: {reply}")
        return t, t_reply, reply

    async def close(self):
        self.reader.cancel()
        self.ws.transport.abort()


class Target:
    """Where the clients connect and which processes serve them.

    ``devices`` are bench/devices.py specs; ``pids`` the server processes (sampled); ``extra_pids``
    other processes of the target ({name: pid}, e.g. redis-server); ``extra_trees`` the same for
    processes sampled with all their descendants ({"postgres": the postmaster's pid})."""

    def __init__(self, name, pids, devices, console_url, origin, console_headers, info=None, extra_pids=None,
                 extra_trees=None):
        self.name, self.pids, self.devices = name, pids, devices
        self.console_url, self.origin, self.console_headers = console_url, origin, console_headers
        self.info = info or {}
        self.extra_pids = extra_pids or {}
        self.extra_trees = extra_trees or {}


# ---- the floor servers' plumbing ------------------------------------------------------------------

def _open_wal_db(path, schema):
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(schema)
    return db


def open_db_thread(path, schema):
    """A floor's storage: ONE database thread and ONE SQLite connection opened on it (autocommit,
    explicit BEGIN; WAL, synchronous=FULL) with ``schema`` applied. Returns (executor, db): every
    use of ``db`` goes through ``executor``, so commits are serialised and the event loop keeps
    serving."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="floor-db")
    return executor, executor.submit(_open_wal_db, path, schema).result()


async def serve_until_stopped(handler, host, port, backlog):
    """Serve ``handler`` with websockets (compression off) until SIGTERM/SIGINT; print
    ``READY <port>`` on stdout once listening (start_floor_process waits for it)."""
    from websockets.asyncio.server import serve

    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with serve(handler, host, port, compression=None, max_size=2**20, backlog=backlog) as server:
        print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
        await stop


def add_floor_args(parser, port):
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--db", help="SQLite file (default: a new temp file)")
    parser.add_argument("--backlog", type=int, default=100, help="listen backlog (default 100, asyncio's own)")
    return parser
