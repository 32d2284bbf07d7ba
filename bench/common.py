"""Shared pieces of the benchmarks: percentiles, process CPU/RSS sampling, machine facts, reports.

All timestamps in the benchmarks are ``time.monotonic_ns()``: CLOCK_MONOTONIC is one clock for
the whole machine on Linux, so times taken in different processes (the bench's client workers,
its console) can be subtracted from each other.
"""

import json
import math
import os
import platform
import resource
import sys
import threading
import time
from pathlib import Path

import psutil

RESULTS_DIR = Path(__file__).resolve().parent / "results"


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


# ---- the process ----------------------------------------------------------------------------

def raise_nofile_limit():
    """Raise this process's open-file soft limit to the hard limit; children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


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


class ProcessSampler:
    """Samples a process's CPU and RSS every ``interval`` seconds on a thread.

    ``mark(name)`` records the process's CPU seconds and the time at a phase boundary, so the
    report can say how much CPU each phase took. The sampler keeps the peak RSS it saw and the
    kernel's own high-water mark (VmHWM), which catches peaks between samples.
    """

    def __init__(self, pid, interval=0.1):
        self.pid = pid
        self.interval = interval
        self.proc = psutil.Process(pid)
        self.clock = process_cpu_clock(pid)
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
        hwm = peak_rss_bytes(self.pid)
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

    def __init__(self, pids):
        self.pids = list(pids)
        self.marks = {}

    def mark(self, name):
        own = 0.0
        for pid in self.pids:
            own += cpu_seconds(pid) or 0.0
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
