"""Hall-scale benchmark: a whole meeting, 3,000 signed tablets, against the targets of DESIGN.md.

    .venv/bin/python -m bench.meeting --tablets 3000          (or: make bench N=3000)

The scenario, played against Huitang and then, with the same clients and the same pacing, against
the floor (bench/meeting_floor.py, a bare ``websockets`` server doing only the work no correct
server can skip):

1. **Prepare** (bench/devices.py, shared with bench.fanout). A fresh data directory
   (tests/hallserver.HallEnv): migrate, ``seed_demo --deputies N --standing 45``. The bench makes
   an Ed25519 key per tablet and display; ONE ``manage.py shell`` bulk-creates the devices
   (tablets on the plenary's venue, each on a voting member's assigned seat, raw 32-byte public
   keys) and binds each tablet to its seat's member (method ``demo``). The operator's session
   cookie comes from HallEnv.staff_cookie(). Pairing over HTTP is not what is measured.
2. **Connect.** A console (operator session), then N tablets and D displays connect
   (``/ws/<kind>/<meeting>/?device=<id>``), each answers its challenge by signing
   ``devices.crypto.auth_message`` (``huitang-auth-v1\\n<device>\\n<meeting>\\n<nonce>``) and
   waits for its snapshot.
3. **Sign in.** The console opens sign-in (``signin.open``); every tablet sends ``signin.tap`` at a
   random moment within ``--signin-spread`` seconds; the console waits until its attendance shows
   everyone present.
4. **Vote.** The console opens the meeting, makes the budget resolution the current item,
   prepares an anonymous motion poll on it (``poll.prepare``) and opens it (``poll.open``). Each
   tablet, when the poll reaches it, waits a random 0..``--vote-spread`` seconds and casts a real
   ballot: a random secret, its hash, a choice (80 % for, 15 % against, 5 % abstain by default)
   and the device's signature over ``voting.canonical.ballot_message``.
5. **Close.** The console closes the poll and, on its ``ok``, announces it; the displays must
   show the result.
6. **Count.** Ballots sent, acknowledged (``ok`` with a receipt), stored (rows of the poll's
   ballot log in the server's database) and tallied (the frozen result's for + against + abstain)
   must all agree, choice by choice, and receipts' positions must be distinct; every event stream
   must obey the protocol's gap rule. Anything else is a failure: exit status 1.

Timestamps are ``time.monotonic_ns()`` (CLOCK_MONOTONIC: one clock for every process of the
machine), so the console's send time (main process) and the tablets' receive times (worker
processes) subtract. CPU and RSS of the server(s), the bench's own processes and Redis are sampled
with bench.common.ProcessSampler; CPU used by anything else on the machine is reported too.

``--redis`` runs Huitang scaled out instead: a redis-server on a free loopback port and TWO daphne
processes on the same database, tablets and displays split between them, the console on the
first.

``--postgres`` puts Huitang's database in PostgreSQL instead of SQLite (with ``--redis``: the
scale-out setting of docs/deployment.md): the bench starts a throwaway cluster (tests/pg.py:
initdb + pg_ctl in a temporary directory, 127.0.0.1 on a free port, trust authentication, fsync
and synchronous_commit ON like SQLite's synchronous=FULL), migrates and seeds the hall there, points
every daphne process at it with DATABASE_URL, samples the postmaster and its backends as
"postgres", and stops and deletes the cluster at the end (``--keep`` keeps its directory).
"""

import asyncio
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Console, LoadMeter, ProcessSampler, Run, Target, WorkerPool, argument_parser, b64, busy_warning, command_line,
    comparison_rows, connect_latencies, dumps, fmt, machine_line, markdown_table, ms, ms_summary, now_ns, publish,
    query_sqlite, result_line, start_floor_process, stop_process, summarize,
)
from bench.devices import DeviceRecord, Swarm, device_specs, huitang_info, prepare_hall, start_daphnes  # noqa: E402

CHOICES = ("for", "against", "abstain")
PY_SPY = os.environ.get("PY_SPY", "/tmp/venv-tools/bin/py-spy")

# DESIGN.md, "Targets": one 2-core machine, embedded default, 3,000 tablets + 10 displays + 1 console.
TARGETS = {
    "connect_all_s": ("all connected", 10.0, "≤ 10 s"),
    "vote_open_p99_ms": ("vote-open to every tablet, p99", 300.0, "≤ 300 ms"),
    "ballot_ack_p99_ms": ("ballot acknowledged (durable), p99", 500.0, "≤ 500 ms"),
    "result_on_displays_ms": ("result on the displays after close", 1000.0, "≤ 1 s"),
    "integrity": ("nothing lost or duplicated", None, "sent = acked = stored = tallied"),
    "server_peak_rss_mib": ("server memory (peak RSS)", 1024.0, "≤ 1 GiB"),
}


# ==== the client side (runs in worker processes) =============================================

class MeetingDevice(DeviceRecord):
    """One simulated tablet or display in the meeting, and everything it saw."""

    __slots__ = (
        "last", "events", "gaps", "dups", "stray", "resyncs", "other",
        "member", "t_tap", "t_tap_ack", "tap", "t_poll", "poll_id", "poll_dups", "choice", "t_ballot",
        "t_ack", "receipt", "ballot_error", "t_closed", "t_announced", "result", "progress",
    )

    def __init__(self, spec):
        super().__init__(spec)
        self.last = {}
        self.events = self.gaps = self.dups = self.stray = self.resyncs = self.other = self.progress = 0
        self.member = None
        self.t_tap = self.t_tap_ack = self.tap = None
        self.t_poll = self.poll_id = None
        self.poll_dups = 0
        self.choice = self.t_ballot = self.t_ack = self.receipt = self.ballot_error = None
        self.t_closed = self.t_announced = self.result = None

    def export(self):
        return {
            **super().export(), "member": self.member,
            "events": self.events, "gaps": self.gaps, "dups": self.dups, "stray": self.stray,
            "resyncs": self.resyncs, "other": self.other, "progress": self.progress,
            "t_tap": self.t_tap, "t_tap_ack": self.t_tap_ack, "tap": self.tap,
            "t_poll": self.t_poll, "poll_id": self.poll_id, "poll_dups": self.poll_dups,
            "choice": self.choice, "t_ballot": self.t_ballot, "t_ack": self.t_ack, "receipt": self.receipt,
            "ballot_error": self.ballot_error, "t_closed": self.t_closed, "t_announced": self.t_announced,
            "result": self.result,
        }


class MeetingSwarm(Swarm):
    """The devices of one worker behave like tablets and displays: tap to sign in when told, vote
    when a poll opens, record what arrives."""

    record = MeetingDevice

    def __init__(self, specs, opts, channel):
        super().__init__(specs, opts, channel)
        self.rng = random.Random(opts["seed"] * 1000 + opts["worker"])
        self.counts = {"tap": 0, "poll": 0, "ballot": 0, "ack": 0, "closed": 0, "announced": 0}
        self.expect = {}

    def after_connect(self):
        tablets = [d for d in self.connected if d.kind == "tablet"]
        displays = [d for d in self.connected if d.kind == "display"]
        self.expect = {"tap": len(tablets), "poll": len(tablets), "ack": len(tablets),
                       "closed": len(displays), "announced": len(displays)}

    def summary(self):
        return {**super().summary(),
                "unbound": sum(1 for d in self.connected if d.kind == "tablet" and d.member is None)}

    def command(self, msg):
        if msg[0] == "signin":
            self.start_signin(msg[1])

    def on_snapshot(self, dev, msg):
        dev.last = dict(msg.get("heads") or {})
        device = msg.get("device") or {}
        me = (msg.get("state") or {}).get("me") or {}
        dev.member = device.get("bound") or me.get("id")

    # ---- what arrives -----------------------------------------------------------------------------

    def on_message(self, dev, msg, t):
        kind = msg.get("type")
        if kind == "event":
            self.on_event(dev, msg, t)
        elif kind == "ok" or kind == "error":
            self.on_reply(dev, msg, t)
        elif kind == "snapshot":
            dev.resyncs += 1
            self.on_snapshot(dev, msg)
        else:
            dev.other += 1

    def on_event(self, dev, msg, t):
        seq, prev = msg.get("seq"), msg.get("prev") or {}
        followed = [view for view in dev.last if view in prev]
        if not followed:
            dev.stray += 1
            return
        for view in followed:
            if seq <= dev.last[view]:
                dev.dups += 1
                return
        for view in followed:
            if prev[view] != dev.last[view]:
                dev.gaps += 1
            dev.last[view] = seq
        dev.events += 1
        kind = msg.get("kind")
        if kind == "poll.progress":
            dev.progress += 1
        elif kind == "poll.changed":
            poll = (msg.get("data") or {}).get("poll") or {}
            state = poll.get("state")
            if dev.kind == "tablet":
                if state == "open":
                    if dev.t_poll is not None:
                        dev.poll_dups += 1
                        return
                    dev.t_poll, dev.poll_id = t, poll.get("id")
                    self._count("poll", t)
                    self._schedule_ballot(dev)
            elif state == "closed" and dev.t_closed is None:
                dev.t_closed = t
                self._count("closed", t)
            elif state == "announced" and poll.get("result") and dev.t_announced is None:
                dev.t_announced = t
                result = poll["result"]
                dev.result = {c: result.get(c) for c in (*CHOICES, "not_voted", "passed")}
                self._count("announced", t)

    def on_reply(self, dev, msg, t):
        rid = msg.get("id")
        if rid == "tap":
            dev.t_tap_ack = t
            dev.tap = ("already" if msg.get("already") else "ok") if msg["type"] == "ok" else msg.get("code")
            self._count("tap", t)
        elif rid == "ballot":
            dev.t_ack = t
            receipt = msg.get("receipt") if msg["type"] == "ok" else None
            if receipt and isinstance(receipt.get("position"), int) and receipt.get("entry_hash"):
                dev.receipt = [receipt.get("poll"), receipt["position"], receipt["entry_hash"]]
            else:
                dev.ballot_error = msg.get("code") or "ok_without_receipt"
            self._count("ack", t)
        else:
            dev.other += 1

    def _count(self, what, t):
        self.counts[what] += 1
        if self.counts[what] == self.expect.get(what):
            self.channel.send((what, self.counts[what], t))

    # ---- what the devices do -----------------------------------------------------------------

    def start_signin(self, spread):
        loop = asyncio.get_running_loop()
        tablets = [d for d in self.connected if d.kind == "tablet"]
        if not tablets:
            self.channel.send(("tap", 0, now_ns()))
        for dev in tablets:
            loop.call_later(self.rng.uniform(0, spread), self.spawn, self._tap(dev))

    async def _tap(self, dev):
        dev.t_tap = now_ns()
        try:
            await dev.ws.send('{"type":"signin.tap","id":"tap"}')
        except Exception as exc:  # noqa: BLE001
            dev.errors.append(f"tap: {type(exc).__name__}: {exc}"[:300])

    def _schedule_ballot(self, dev):
        weights = self.opts["weights"]
        dev.choice = self.rng.choices(CHOICES, weights)[0]
        delay = self.rng.uniform(0, self.opts["vote_spread"])
        asyncio.get_running_loop().call_later(delay, self.spawn, self._cast(dev))

    async def _cast(self, dev):
        from voting import canonical

        secret = secrets.token_urlsafe(32)
        digest = canonical.secret_hash(secret)
        signature = dev.key.sign(canonical.ballot_message(dev.meeting, dev.poll_id, digest, dev.choice))
        payload = dumps({"type": "ballot.cast", "id": "ballot", "poll": dev.poll_id, "secret_hash": digest,
                         "choice": dev.choice, "signature": b64(signature)})
        dev.t_ballot = now_ns()
        try:
            await dev.ws.send(payload)
        except Exception as exc:  # noqa: BLE001
            dev.ballot_error = f"send: {type(exc).__name__}"
            dev.errors.append(f"ballot: {type(exc).__name__}: {exc}"[:300])


# ==== one scenario against one target ===========================================================

class MeetingTarget(Target):
    """A target, the meeting the scenario plays, and how to read what was stored."""

    def __init__(self, *args, meeting, item, entitled, stored, tallied, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting, self.item, self.entitled = meeting, item, entitled
        self.stored = stored  # fn(poll id) -> number of ballot log rows in the database
        self.tallied = tallied  # fn(poll id) -> the stored result dict (or None)


class Profiler:
    """py-spy on a server process, one raw profile per phase (``--profile DIR``)."""

    def __init__(self, pid, outdir, rate=100, gil=False):
        self.pid, self.outdir, self.rate, self.gil = pid, Path(outdir), rate, gil
        self.outdir.mkdir(parents=True, exist_ok=True)
        self.proc = None
        self.files = {}

    def start(self, phase):
        self.stop()
        path = self.outdir / f"{phase}.txt"
        self.files[phase] = path
        self.proc = subprocess.Popen([PY_SPY, "record", "-p", str(self.pid), "-r", str(self.rate), "--format", "raw",
                                      "-o", str(path), "--nonblocking", "--threads",
                                      *(["--gil"] if self.gil else ["--idle"])],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)  # attached

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None

    def summaries(self, top=25):
        return {phase: aggregate_profile(path, top) for phase, path in self.files.items() if path.exists()}


def aggregate_profile(path, top=25):
    """Samples per thread, and self / inclusive samples per frame, of a py-spy raw profile recorded
    with ``--threads --idle`` (so waiting shows too: a thread blocked in a lock or in SQLite's
    busy handler is sampled where it waits)."""
    import re

    threads, self_counts, incl, per_thread_self, total = {}, {}, {}, {}, 0
    for line in Path(path).read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        thread = re.sub(r"^thread \(\w+\): ", "", frames[0]) if frames[0].startswith("thread (") else "?"
        thread = re.sub(r"_\d+$", "_n", thread)
        frames = frames[1:] if frames[0].startswith("thread (") else frames
        if not frames:
            continue
        threads[thread] = threads.get(thread, 0) + n
        leaf = frames[-1]
        self_counts[leaf] = self_counts.get(leaf, 0) + n
        bucket = per_thread_self.setdefault(thread, {})
        bucket[leaf] = bucket.get(leaf, 0) + n
        for frame in set(frames):
            incl[frame] = incl.get(frame, 0) + n

    def rank(d, k=top):
        return [[f, c, round(100.0 * c / total, 1) if total else None]
                for f, c in sorted(d.items(), key=lambda kv: -kv[1])[:k]]

    return {"samples": total, "threads": rank(threads, 20), "self": rank(self_counts),
            "inclusive": rank(incl), "self_by_thread": {t: rank(d, 8) for t, d in per_thread_self.items()}}


async def measure(target, opts, log):
    """Play the meeting against ``target``; return the raw result (records, times, samples)."""
    specs = target.devices
    weights = [float(w) for w in opts.choice_weights.split(",")]
    pool = WorkerPool(MeetingSwarm, specs, opts, "meeting", seed=opts.seed, weights=weights,
                      vote_spread=opts.vote_spread)
    notes = []
    result = {"target": target.name, "server": dict(target.info), "tablets": sum(1 for s in specs if s["kind"] == "tablet"),
              "displays": sum(1 for s in specs if s["kind"] == "display"), "workers": len(pool), "notes": notes}
    samplers = {f"server{i}": ProcessSampler(pid).start() for i, pid in enumerate(target.pids)}
    for name, pid in target.extra_pids.items():
        samplers[name] = ProcessSampler(pid).start()
    for name, pid in target.extra_trees.items():
        samplers[name] = ProcessSampler(pid, tree=True).start()
    samplers["console"] = ProcessSampler(os.getpid()).start()
    profiler = (Profiler(target.pids[0], Path(opts.profile) / target.name, rate=opts.profile_rate, gil=opts.profile_gil)
                if opts.profile and target.name == "huitang" else None)
    console = None
    phases = {}
    records = []

    def mark(name):
        for s in (*samplers.values(), *pool.samplers):
            s.mark(name)
        load.mark(name)
        phases[name] = now_ns()

    try:
        await pool.start()
        load = LoadMeter([os.getpid(), *target.pids, *target.extra_pids.values(), *pool.pids],
                         trees=target.extra_trees.values())

        console = Console(target.console_url, target.origin, target.console_headers)
        await console.connect()

        # ---- 1. connect ----
        log(f"{target.name}: connecting {result['tablets']} tablets + {result['displays']} displays "
            f"({len(pool)} worker(s)) …")
        if profiler:
            profiler.start("connect")
        mark("connect_start")
        result["connect"] = await pool.connect(opts.connect_timeout, notes=notes)
        mark("connect_end")
        log(f"{target.name}: {result['connect']['ok']} connected in {result['connect']['all_s']:.2f}s "
            f"({result['connect']['failed']} failed)")
        await asyncio.sleep(opts.settle)

        # ---- 2. sign in ----
        if profiler:
            profiler.start("signin")
        mark("signin_start")
        t_window, t_window_ok, _ = await console.request("signin.open")
        pool.send("signin", opts.signin_spread)
        taps = await pool.expect_all("tap", opts.signin_spread + opts.phase_timeout, notes=notes)
        expected_present = result["connect"]["ok"] - result["displays"]
        try:
            t_present = await console.wait_state(
                lambda s: (s.get("attendance") or {}).get("present", 0) >= expected_present, 15)
        except (asyncio.TimeoutError, TimeoutError):
            t_present = None
            notes.append(f"console never saw {expected_present} present "
                         f"(last: {(console.state.get('attendance') or {}).get('present')})")
        mark("signin_end")
        result["signin"] = {
            "t_window": t_window, "window_ack_ms": ms(t_window_ok - t_window),
            "all_acked_s": (max(m[2] for m in taps if m) - t_window) / 1e9 if all(taps) else None,
            "console_all_present_s": (t_present - t_window) / 1e9 if t_present else None,
            "present": (console.state.get("attendance") or {}).get("present"),
            "quorum": (console.state.get("attendance") or {}).get("quorum"),
        }
        log(f"{target.name}: signed in: {result['signin']['present']} present; all taps acknowledged after "
            f"{fmt(result['signin']['all_acked_s'], ' s', 2)}")

        # ---- 3. the meeting opens, the poll is prepared ----
        await asyncio.sleep(opts.settle)
        if (console.state.get("meeting") or {}).get("state") != "open":
            await console.request("meeting.open")
        await console.request("agenda.set_current", item=target.item)
        _, _, prepared = await console.request("poll.prepare", item=target.item, kind="motion", anonymous=True)
        poll_id = prepared["poll"]
        result["poll"] = poll_id
        await asyncio.sleep(opts.settle)

        # ---- 4. vote ----
        if profiler:
            profiler.start("vote")
        mark("vote_start")
        t_open, open_fut = await console.send("poll.open", poll=poll_id)
        t_open_ok, open_reply = await asyncio.wait_for(open_fut, 60)
        if open_reply.get("type") != "ok":
            console.errors.append({"request": "poll.open", "reply": open_reply})
            raise RuntimeError(f"poll.open refused: {open_reply}")
        seen = await pool.expect_all("poll", opts.phase_timeout, notes=notes)
        acks = await pool.expect_all("ack", opts.vote_spread + opts.phase_timeout, notes=notes)
        mark("vote_end")
        result["vote"] = {
            "t_open": t_open, "open_ack_ms": ms(t_open_ok - t_open),
            "all_seen_ms": ms(max(m[2] for m in seen if m) - t_open) if all(seen) else None,
            "all_acked_s": (max(m[2] for m in acks if m) - t_open) / 1e9 if all(acks) else None,
        }
        log(f"{target.name}: poll {poll_id} open on every tablet after {fmt(result['vote']['all_seen_ms'], ' ms', 0)}; "
            f"all ballots acknowledged {fmt(result['vote']['all_acked_s'], ' s', 2)} after opening")
        try:
            await console.wait_state(lambda s: (s.get("poll_progress") or {}).get("voted", 0) >= result["tablets"], 5)
        except (asyncio.TimeoutError, TimeoutError):
            pass
        await asyncio.sleep(opts.settle)

        # ---- 5. close and announce ----
        if profiler:
            profiler.start("close")
        mark("close_start")
        t_close, t_close_ok, _ = await console.request("poll.close", poll=poll_id)
        t_announce, t_announce_ok, _ = await console.request("poll.announce", poll=poll_id)
        has_displays = lambda w: any(s["kind"] == "display" for s in w["specs"])  # noqa: E731
        await pool.expect_all("closed", opts.phase_timeout, who=has_displays, notes=notes)
        await pool.expect_all("announced", opts.phase_timeout, who=has_displays, notes=notes)
        mark("close_end")
        if profiler:
            profiler.stop()
        result["close"] = {
            "t_close": t_close, "close_ack_ms": ms(t_close_ok - t_close), "t_announce": t_announce,
            "announce_ack_ms": ms(t_announce_ok - t_announce),
            "console_result": (console.state.get("poll") or {}).get("result"),
        }
        await asyncio.sleep(0.5)  # late duplicates would arrive now
        records = await pool.records()
        mark("end")
    finally:
        if profiler:
            profiler.stop()
        if console is not None:
            try:
                await console.close()
            except Exception:
                pass
        for s in samplers.values():
            s.stop()
        pool.close()

    result["console"] = {"gaps": console.gaps, "dups": console.dups, "presence_messages": console.presence,
                         "errors": console.errors}
    result["db"] = {"stored": target.stored(poll_id), "result": target.tallied(poll_id)}
    result["phases"] = {k: v for k, v in phases.items()}
    result["cpu"] = cpu_report(samplers, pool)
    result["other_load"] = {p: load.others(f"{p}_start", f"{p}_end") for p in ("connect", "signin", "vote", "close")}
    result["other_load"]["run"] = load.others("connect_start", "close_end")
    if profiler:
        result["profile"] = profiler.summaries()
        result["profile_dir"] = str(profiler.outdir)
    result.update(analyse(records, result))
    return result


def cpu_report(samplers, pool):
    phases = ("connect", "signin", "vote", "close")
    out = {"phases": {}}
    servers = [s for n, s in samplers.items() if n.startswith("server")]
    bench = pool.samplers + [samplers["console"]]
    for p in phases:
        row = {}
        extras = [(name, [samplers[name]] if name in samplers else []) for name in ("redis", "postgres")]
        for label, group in (("server", servers), ("bench", bench), *extras):
            if not group:
                continue
            cpu = wall = 0.0
            for s in group:
                c, w, _ = s.cpu_between(f"{p}_start", f"{p}_end")
                if c is not None:
                    cpu += c
                    wall = max(wall, w)
            row[f"{label}_cpu_s"] = cpu
            row[f"{label}_percent"] = 100.0 * cpu / wall if wall else None
            row["wall_s"] = wall
        out["phases"][p] = row
    out["server_peak_rss_mib"] = [s.peak_rss_bytes / 2**20 for s in servers]
    out["server_peak_cpu_percent"] = [s.peak_cpu_percent(0.5) for s in servers]
    out["server_series"] = [s.series() for s in servers]
    out["bench_peak_rss_mib"] = sum(s.peak_rss_bytes for s in bench) / 2**20
    if "redis" in samplers:
        out["redis_peak_rss_mib"] = samplers["redis"].peak_rss_bytes / 2**20
    if "postgres" in samplers:  # the postmaster and its backends, summed (shared buffers in each)
        out["postgres_peak_rss_sum_mib"] = samplers["postgres"].peak_rss_bytes / 2**20
    return out


def analyse(records, result):
    """Latencies, and every count that must agree."""
    tablets = [r for r in records if r["kind"] == "tablet"]
    displays = [r for r in records if r["kind"] == "display"]
    t_open, t_close, t_announce = result["vote"]["t_open"], result["close"]["t_close"], result["close"]["t_announce"]
    out = {
        **connect_latencies(records),
        "tap_latency_ms": ms_summary([r["t_tap_ack"] - r["t_tap"] for r in tablets if r["t_tap_ack"] and r["t_tap"]]),
        "vote_open_ms": ms_summary([r["t_poll"] - t_open for r in tablets if r["t_poll"]]),
        "ballot_ack_ms": ms_summary([r["t_ack"] - r["t_ballot"] for r in tablets if r["t_ack"] and r["receipt"]]),
        "display_closed_ms": ms_summary([r["t_closed"] - t_close for r in displays if r["t_closed"]]),
        "display_result_after_close_ms": ms_summary([r["t_announced"] - t_close for r in displays if r["t_announced"]]),
        "display_result_after_announce_ms": ms_summary(
            [r["t_announced"] - t_announce for r in displays if r["t_announced"]]),
    }
    sent = [r for r in tablets if r["t_ballot"] is not None]
    acked = [r for r in sent if r["receipt"]]
    errors = {}
    for r in sent:
        if not r["receipt"]:
            errors[r["ballot_error"] or "no_reply"] = errors.get(r["ballot_error"] or "no_reply", 0) + 1
    taps = {}
    for r in tablets:
        taps[r["tap"] or "no_reply"] = taps.get(r["tap"] or "no_reply", 0) + 1
    positions = [r["receipt"][1] for r in acked]
    by_choice_acked = {c: sum(1 for r in acked if r["choice"] == c) for c in CHOICES}
    db_result = result["db"]["result"] or {}
    tally = {c: db_result.get(c) for c in CHOICES}
    tallied = sum(v for v in tally.values() if isinstance(v, int)) if db_result else None
    display_results = [r["result"] for r in displays if r["result"]]
    out["counts"] = {
        "tablets": len(tablets), "connected_tablets": sum(1 for r in tablets if r["t_snapshot"]),
        "signed_in_ok": taps.get("ok", 0), "taps": taps,
        "poll_received": sum(1 for r in tablets if r["t_poll"]),
        "poll_received_twice": sum(r["poll_dups"] for r in tablets),
        "sent": len(sent), "acked": len(acked), "stored": result["db"]["stored"], "tallied": tallied,
        "ballot_errors": errors, "by_choice_acked": by_choice_acked, "by_choice_tallied": tally,
        "distinct_positions": len(set(positions)),
        "positions_contiguous": sorted(positions) == list(range(1, len(positions) + 1)),
        "displays_with_result": len(display_results),
        "displays_result_agrees": all({c: d.get(c) for c in CHOICES} == tally for d in display_results),
    }
    out["streams"] = {
        "gaps": sum(r["gaps"] for r in records), "duplicates": sum(r["dups"] for r in records),
        "stray": sum(r["stray"] for r in records), "resyncs": sum(r["resyncs"] for r in records),
        "closed_by_server": sum(1 for r in records if r["closed"] is not None),
        "events_per_tablet": summarize([r["events"] for r in tablets]),
        "progress_events_per_tablet_max": max((r["progress"] for r in tablets), default=0),
        "console_gaps": result["console"]["gaps"], "console_duplicates": result["console"]["dups"],
    }
    return out


# ==== verdicts and the report ==================================================================

def failures(result):
    """Reasons this run failed (lost or duplicated anything, or could not play the scenario)."""
    out = []
    name = result["target"]
    c, s = result["counts"], result["streams"]
    if result["connect"]["failed"]:
        out.append(f"{name}: {result['connect']['failed']} devices failed to connect")
    if result["connect"].get("unbound"):
        out.append(f"{name}: {result['connect']['unbound']} tablets connected without a member")
    if c["signed_in_ok"] != c["connected_tablets"]:
        out.append(f"{name}: {c['signed_in_ok']}/{c['connected_tablets']} taps signed in ({c['taps']})")
    if c["poll_received"] != c["connected_tablets"] or c["poll_received_twice"]:
        out.append(f"{name}: poll open reached {c['poll_received']}/{c['connected_tablets']} tablets "
                   f"({c['poll_received_twice']} twice)")
    if not (c["sent"] == c["acked"] == c["stored"] == c["tallied"] == c["connected_tablets"]):
        out.append(f"{name}: ballots sent {c['sent']}, acked {c['acked']}, stored {c['stored']}, "
                   f"tallied {c['tallied']} (tablets {c['connected_tablets']}); errors {c['ballot_errors']}")
    if c["by_choice_acked"] != c["by_choice_tallied"]:
        out.append(f"{name}: acknowledged by choice {c['by_choice_acked']} ≠ tallied {c['by_choice_tallied']}")
    if c["distinct_positions"] != c["acked"] or not c["positions_contiguous"]:
        out.append(f"{name}: receipts' log positions not distinct and contiguous")
    if c["displays_with_result"] != result["displays"] or not c["displays_result_agrees"]:
        out.append(f"{name}: {c['displays_with_result']}/{result['displays']} displays showed the result "
                   f"(agrees with the tally: {c['displays_result_agrees']})")
    for key in ("gaps", "duplicates", "closed_by_server", "console_gaps", "console_duplicates"):
        if s[key]:
            out.append(f"{name}: {s[key]} {key.replace('_', ' ')} in the event streams")
    if result["console"]["errors"]:
        out.append(f"{name}: console requests refused: {result['console']['errors'][:3]}")
    out += [f"{name}: {n}" for n in result["notes"]]
    return out


def headline(result):
    cpu = result["cpu"]
    ph = cpu["phases"]
    c = result["counts"]
    return {
        "connect_all_s": result["connect"]["all_s"],
        "connect_p99_ms": result["connect_latency_ms"]["p99"],
        "signin_all_acked_s": result["signin"]["all_acked_s"],
        "tap_p99_ms": result["tap_latency_ms"]["p99"],
        **{f"{what}_{stat}_ms": result[f"{what}_ms"][stat]
           for what in ("vote_open", "ballot_ack") for stat in ("p50", "p99", "max")},
        "close_ack_ms": result["close"]["close_ack_ms"],
        "result_on_displays_ms": result["display_result_after_close_ms"]["max"],
        "ballots": f"{c['sent']}/{c['acked']}/{c['stored']}/{c['tallied']}",
        "integrity_ok": not failures(result),
        "server_cpu_connect_percent": ph["connect"].get("server_percent"),
        "server_cpu_signin_percent": ph["signin"].get("server_percent"),
        "server_cpu_vote_s": ph["vote"].get("server_cpu_s"),
        "server_cpu_vote_percent": ph["vote"].get("server_percent"),
        "server_peak_cpu_percent": max(cpu["server_peak_cpu_percent"] or [0]),
        "server_peak_rss_mib": max(cpu["server_peak_rss_mib"] or [0]),
        "server_peak_rss_total_mib": sum(cpu["server_peak_rss_mib"] or [0]),
        "bench_cpu_connect_percent": ph["connect"].get("bench_percent"),
        "bench_cpu_vote_percent": ph["vote"].get("bench_percent"),
        "other_load_percent": (result["other_load"]["run"] or {}).get("other_percent"),
        "other_load_vote_percent": (result["other_load"]["vote"] or {}).get("other_percent"),
    }


ROWS = [
    ("connect all (tablets + displays, challenge signed, to snapshot)", "connect_all_s", " s", 2),
    ("connect, per device p99", "connect_p99_ms", " ms", 0),
    ("sign-in: every tap acknowledged, after signin.open", "signin_all_acked_s", " s", 2),
    ("sign-in: tap → ok, p99", "tap_p99_ms", " ms", 0),
    ("vote-open → tablet, p50", "vote_open_p50_ms", " ms", 1),
    ("vote-open → tablet, p99", "vote_open_p99_ms", " ms", 1),
    ("vote-open → tablet, max", "vote_open_max_ms", " ms", 1),
    ("ballot → ok with receipt, p50", "ballot_ack_p50_ms", " ms", 1),
    ("ballot → ok with receipt, p99", "ballot_ack_p99_ms", " ms", 1),
    ("ballot → ok with receipt, max", "ballot_ack_max_ms", " ms", 1),
    ("poll.close → ok", "close_ack_ms", " ms", 1),
    ("close → result on every display", "result_on_displays_ms", " ms", 1),
    ("ballots sent / acked / stored / tallied", "ballots", "", 0),
    ("server CPU while connecting (% of a core)", "server_cpu_connect_percent", " %", 0),
    ("server CPU during sign-in (% of a core)", "server_cpu_signin_percent", " %", 0),
    ("server CPU, poll.open → last ack", "server_cpu_vote_s", " s", 2),
    ("server CPU, poll.open → last ack (% of a core)", "server_cpu_vote_percent", " %", 0),
    ("server peak CPU (0.5 s window)", "server_peak_cpu_percent", " %", 0),
    ("server peak RSS (per process)", "server_peak_rss_mib", " MiB", 0),
    ("bench CPU while connecting (% of a core)", "bench_cpu_connect_percent", " %", 0),
    ("bench CPU, poll.open → last ack (% of a core)", "bench_cpu_vote_percent", " %", 0),
    ("other processes on the machine, whole run (% of a core)", "other_load_percent", " %", 0),
    ("other processes on the machine, poll.open → last ack", "other_load_vote_percent", " %", 0),
]
TARGET_OF_ROW = {"connect_all_s": "≤ 10 s", "vote_open_p99_ms": "≤ 300 ms", "ballot_ack_p99_ms": "≤ 500 ms",
                 "result_on_displays_ms": "≤ 1,000 ms", "ballots": "all equal", "server_peak_rss_mib": "≤ 1,024 MiB"}


def verdicts(hl):
    """Pass/fail of each DESIGN.md target for one server's headline."""
    if hl is None:
        return {}
    out = {}
    for key, (label, limit, text) in TARGETS.items():
        if key == "integrity":
            value, ok = hl["ballots"], hl["integrity_ok"]
        else:
            value = hl.get(key)
            ok = value is not None and value <= limit
        out[key] = {"label": label, "target": text, "value": value, "pass": ok}
    return out


def render(report):
    o = report["options"]

    def target_and_verdict(key):
        v = (report["verdicts"].get("huitang") or {}).get("integrity" if key == "ballots" else key)
        if key not in TARGET_OF_ROW or v is None:
            return [TARGET_OF_ROW.get(key, ""), ""]
        return [TARGET_OF_ROW[key], "**pass**" if v["pass"] else "**FAIL**"]

    database = "PostgreSQL" if o.get("postgres") else "SQLite"
    mode = f"scaled out: 2 daphne processes + Redis, one {database} database" if o["redis"] else \
        "embedded default: 1 daphne process, SQLite, no Redis" if database == "SQLite" else \
        "1 daphne process, PostgreSQL, no Redis"
    lines = [
        f"## Meeting: {o['tablets']} tablets + {o['displays']} displays + 1 console ({mode})",
        "",
        markdown_table(["", "Huitang", "floor", "ratio", "target", "Huitang"],
                       comparison_rows(report, ROWS, target_and_verdict)),
        "",
    ]
    for name, r in report["results"].items():
        c, s = r["counts"], r["streams"]
        lines.append(
            f"- {name}: {r['connect']['ok']}/{r['tablets'] + r['displays']} devices connected "
            f"({r['connect']['retried']} needed a retry); {c['signed_in_ok']} signed in by tapping; poll open reached "
            f"{c['poll_received']} tablets; ballots by choice acked {c['by_choice_acked']}, tallied "
            f"{c['by_choice_tallied']}; streams: {s['gaps']} gaps, {s['duplicates']} duplicates, "
            f"{s['resyncs']} resyncs; events per tablet (median) {s['events_per_tablet']['p50']}, "
            f"vote-progress events per tablet ≤ {s['progress_events_per_tablet_max']}")
        phases = r["cpu"]["phases"]
        for extra, label in (("redis", "redis-server"), ("postgres", "PostgreSQL (postmaster + backends)")):
            if f"{extra}_cpu_s" in phases["vote"]:
                lines.append(f"- {name}: {label} CPU: " + ", ".join(
                    f"{phase} {fmt(phases[phase].get(f'{extra}_percent'), ' %', 0)}"
                    for phase in ("connect", "signin", "vote", "close"))
                    + f" of a core; poll.open → last ack {fmt(phases['vote'].get(f'{extra}_cpu_s'), ' s', 2)}")
    lines += [
        machine_line(report["machine"]),
        f"- clients: {o['workers']} worker process(es), {o['concurrency']} connects in flight, sign-in taps over "
        f"{o['signin_spread']} s, ballots {o['vote_spread']} s after the poll reaches each tablet (uniform), "
        f"choices {o['choice_weights']} (for, against, abstain); floor "
        f"{'without' if o['floor_no_verify'] else 'with'} signature checks, "
        f"{'group commit' if o['floor_commit'] == 'group' else 'one commit per change'}",
        f"- command: `{report['command']}`",
        result_line(report, "PASS (nothing lost or duplicated)"),
        *busy_warning(report),
    ]
    return "\n".join(lines)


DOC_BEGIN = "<!-- bench.meeting: begin (rewritten by `python -m bench.meeting --update-docs`) -->"
DOC_END = "<!-- bench.meeting: end -->"


def update_docs(report, path):
    """Replace the generated block of docs/performance.md (create the file, or append, if missing)."""
    m = report["machine"]
    v = report["verdicts"].get("huitang") or {}
    units = {"connect_all_s": " s", "server_peak_rss_mib": " MiB"}
    target_rows = [[x["label"], x["target"],
                    x["value"] if isinstance(x["value"], str) else fmt(x["value"], units.get(key, " ms"), 1),
                    "pass" if x["pass"] else "**FAIL**"] for key, x in v.items()]
    block = "\n".join([
        DOC_BEGIN,
        "### Latest run",
        "",
        f"Run {report['started']} on {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB RAM, "
        f"Python {m['python']} ({m['platform']}); load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['loadavg_at_start'])}.",
        "",
        "```",
        report["command"],
        "```",
        "",
        "Targets (DESIGN.md, \"Targets\"), Huitang:",
        "",
        markdown_table(["target", "limit", "measured", "verdict"], target_rows),
        "",
        report["markdown"].replace("## Meeting:", "#### Meeting:", 1),
        DOC_END,
    ])
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n\n"
    if DOC_BEGIN in text and DOC_END in text:
        head, rest = text.split(DOC_BEGIN, 1)
        _, tail = rest.split(DOC_END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


# ==== the servers ==============================================================================

def start_redis(workdir):
    from tests.hallserver import free_port, wait_for_port

    port = free_port()
    log_path = Path(workdir) / "redis.log"
    proc = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "no", "--maxclients", "1000", "--dir", str(workdir)],
        stdout=open(log_path, "ab"), stderr=subprocess.STDOUT)
    wait_for_port(port, proc=proc)
    return proc, f"redis://127.0.0.1:{port}/0"


def start_postgres(workdir, log):
    """A throwaway, durable PostgreSQL cluster and an empty ``huitang`` database in it."""
    from tests.pg import PgCluster

    t = time.monotonic()
    pg = PgCluster(durable=True, max_connections=300).start()
    try:
        url = pg.create_database("huitang")
    except Exception:
        pg.stop()
        raise
    (Path(workdir) / "postgres-dir").write_text(str(pg.dir))
    log(f"postgres: cluster in {pg.dir}, 127.0.0.1:{pg.port} ({time.monotonic() - t:.1f}s); {url}")
    return pg, url


def redis_binary():
    return os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")


def start_huitang(opts, hall, redis_proc, log, pg=None):
    env, reg = hall.env, hall.reg
    servers, stop = start_daphnes(hall, 2 if opts.redis else 1, log)

    def stored(poll_id):
        return env.query("select count(*) from voting_ballotentry where poll_id=?", (poll_id,))[0][0]

    def tallied(poll_id):
        row = env.query("select result from voting_poll where id=?", (poll_id,))
        if not row or not row[0][0]:
            return None
        return row[0][0] if isinstance(row[0][0], dict) else json.loads(row[0][0])  # PostgreSQL: jsonb, parsed

    first = servers[0]
    target = MeetingTarget(
        "huitang", [s.proc.pid for s in servers], device_specs(hall, [(s.ws_base, s.base) for s in servers]),
        f"{first.ws_base}/ws/console/{reg['meeting']}/", first.base, {"Cookie": f"sessionid={hall.cookie}"},
        info=huitang_info(hall, servers, redis=bool(opts.redis), debug=opts.server_debug,
                          database="postgresql" if pg else "sqlite"),
        extra_pids={"redis": redis_proc.pid} if redis_proc else None,
        extra_trees={"postgres": pg.postmaster_pid()} if pg else None,
        meeting=reg["meeting"], item=reg["item"], entitled=reg["entitled"], stored=stored, tallied=tallied,
    )
    return target, stop


def start_floor(opts, hall, workdir, log):
    reg = hall.reg
    keys_path = Path(workdir) / "floor-keys.json"
    devices = {device: {"kind": "tablet", "public_key": hall.public_key(i), "member": member, "seat": seat}
               for i, (device, member, seat) in enumerate(reg["tablets"])}
    for j, device in enumerate(reg["displays"]):
        devices[device] = {"kind": "display", "public_key": hall.public_key(len(reg["tablets"]) + j)}
    keys_path.write_text(json.dumps({
        "meeting": {"id": reg["meeting"], "title": reg["title"], "agenda": reg["agenda"], "entitled": reg["entitled"]},
        "devices": devices}, ensure_ascii=False), encoding="utf-8")
    db_path = Path(workdir) / "floor.sqlite3"
    args = ["--db", str(db_path), "--keys", str(keys_path), "--commit", opts.floor_commit]
    if opts.floor_no_verify:
        args.append("--no-verify")
    if os.environ.get("MEETING_FLOOR_GC_LOG"):
        args.append("--gc-log")
    proc, port, stop = start_floor_process("bench.meeting_floor", args, log)
    base, origin = f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}"

    def stored(poll_id):
        return query_sqlite(db_path, "select count(*) from ballot where poll=?", (poll_id,))[0][0]

    def tallied(poll_id):
        row = query_sqlite(db_path, "select result from poll where id=?", (poll_id,))
        return json.loads(row[0][0]) if row and row[0][0] else None

    target = MeetingTarget(
        "floor", [proc.pid], device_specs(hall, [(base, origin)]), f"{base}/ws/console/{reg['meeting']}/", origin, {},
        info={"kind": "websockets.broadcast", "verify": not opts.floor_no_verify, "commit": opts.floor_commit},
        meeting=reg["meeting"], item=reg["item"], entitled=reg["entitled"], stored=stored, tallied=tallied,
    )
    return target, stop


# ==== main =====================================================================================

def parse_args(argv=None):
    p = argument_parser("meeting", "A whole meeting at hall scale: Huitang vs a bare websockets floor.")
    p.add_argument("--tablets", type=int, default=3000, help="tablets, one per deputy (default 3000)")
    p.add_argument("--signin-spread", type=float, default=5.0, help="taps spread over this many seconds (default 5)")
    p.add_argument("--vote-spread", type=float, default=3.0,
                   help="each tablet votes uniformly within this many seconds of seeing the poll (default 3)")
    p.add_argument("--choice-weights", default="80,15,5", help="for,against,abstain weights (default 80,15,5)")
    p.add_argument("--seed", type=int, default=1, help="random seed of the choices and timings (default 1)")
    p.add_argument("--redis", action="store_true",
                   help="Huitang scaled out: redis-server + two daphne processes sharing the database")
    p.add_argument("--postgres", action="store_true",
                   help="Huitang's database in a throwaway PostgreSQL cluster started by the bench (tests/pg.py) "
                        "instead of SQLite; with --redis, the scale-out setting")
    p.add_argument("--phase-timeout", type=float, default=120.0)
    p.add_argument("--floor-no-verify", action="store_true", help="the floor skips signature checks")
    p.add_argument("--floor-commit", choices=("group", "each"), default="group",
                   help="the floor's commits: group (changes arriving during a commit share the next; default) "
                        "or each (one transaction per change)")
    p.add_argument("--profile", metavar="DIR", help="py-spy the (first) Huitang process, one raw profile per phase")
    p.add_argument("--profile-gil", action="store_true",
                   help="with --profile: sample only the thread holding the GIL (where the CPU goes) instead of "
                        "every thread, waiting ones included (where the time goes)")
    p.add_argument("--profile-rate", type=int, default=100, help="py-spy samples per second (default 100)")
    p.add_argument("--update-docs", nargs="?", const=str(ROOT / "docs" / "performance.md"), default=None,
                   metavar="PATH", help="rewrite the generated block of docs/performance.md with this run")
    return p.parse_args(argv)


def run(opts, command=None):
    with Run("meeting", opts, opts.tablets + opts.displays, command) as bench:
        report = bench.report
        report["verdicts"] = {}
        redis_proc, redis_url = start_redis(bench.workdir) if opts.redis else (None, "")
        pg = None
        try:
            database_url = ""
            if opts.postgres and not opts.skip_huitang:
                pg, database_url = start_postgres(bench.workdir, bench.log)
            hall = prepare_hall(opts.tablets, opts.displays, bench.workdir, bench.log, debug=opts.server_debug,
                                redis_url=redis_url, database_url=database_url)
            starts = {"huitang": lambda: start_huitang(opts, hall, redis_proc, bench.log, pg),
                      "floor": lambda: start_floor(opts, hall, bench.workdir, bench.log)}
            for name, result in bench.targets(starts, lambda target: measure(target, opts, bench.log)):
                hl = report["headline"][name] = headline(result)
                report["verdicts"][name] = verdicts(hl)
                bench.log(f"{name}: vote-open p99 {fmt(hl['vote_open_p99_ms'], ' ms')}, ballot ack p99 "
                          f"{fmt(hl['ballot_ack_p99_ms'], ' ms')}, result on displays "
                          f"{fmt(hl['result_on_displays_ms'], ' ms')}, ballots {hl['ballots']}")
        finally:
            if redis_proc is not None:
                stop_process(redis_proc)
            if pg is not None:
                pg.stop(keep=opts.keep)
                if opts.keep:
                    bench.log(f"postgres: cluster kept in {pg.dir}")
    return bench.conclude(failures, render)


def main(argv=None):
    opts = parse_args(argv)
    report = run(opts, command_line("meeting", argv))
    if opts.update_docs:
        update_docs(report, opts.update_docs)
    name = "meeting" + ("-redis" if opts.redis else "") + ("-postgres" if opts.postgres else "")
    return publish(name, report, opts,
                   f"; updated {opts.update_docs}" if opts.update_docs else "")


if __name__ == "__main__":
    sys.exit(main())
