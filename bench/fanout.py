"""Fan-out benchmark: how long one hall-wide event takes to reach every socket.

    .venv/bin/python -m bench.fanout --clients 3000        (or: make fanout N=3000)

Two servers, one after the other, the same clients and the same scenario:

1. **Huitang**: one daphne process on a fresh SQLite database seeded with N deputies
   (tests/hallserver.py). N tablets (one per participant of the plenary, each with its own
   signed token) and D displays connect, each waits for its ``snapshot``; then the console sends
   ``display.set`` (mode ``message``, audience all) R times, about a second apart.
2. **The floor**: bench/floor_server.py, a bare ``websockets`` server that commits the event to
   SQLite (WAL, synchronous=FULL) and pushes one message of the same shape and size to every
   connection with ``websockets.broadcast``.

For every round and every client, latency = the client's receive time − the time the console
wrote the request (``time.monotonic_ns()``, one clock for all processes on Linux). Every client
must get every round's event exactly once, in sequence order, with no gap in the ``prev`` chain
(docs/protocol.md); anything else is a failure and the exit status is 1.

The clients run in ``--workers`` child processes (asyncio + websockets, compression off, client
pings off); the console and the CPU/RSS samplers (psutil) run in the main process. See
bench/README.md for what the numbers mean and why the defaults are what they are.
"""

import argparse
import asyncio
import gc
import json
import math
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    LoadMeter, ProcessSampler, fmt, machine_info, markdown_table, ms, raise_nofile_limit, ratio, summarize,
    write_report,
)

now_ns = time.monotonic_ns

# The display text of round k: Chinese, like a real hall message, with the round at the end.
TEXT_PREFIX = "请各位代表注意：扇出测试"


def round_text(nonce, k):
    return f"{TEXT_PREFIX} {nonce} #{k}"


def parse_round(text, nonce):
    if not isinstance(text, str) or nonce not in text:
        return None
    try:
        return int(text.rsplit("#", 1)[1])
    except (IndexError, ValueError):
        return None


# ==== the client side (runs in worker processes) =============================================

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


class ClientRecord:
    __slots__ = ("kind", "t_start", "t_open", "t_snapshot", "snapshot_seq", "heads", "events",
                 "other", "errors", "closed", "rounds_seen", "attempts")

    def __init__(self, kind):
        self.kind = kind
        self.t_start = self.t_open = self.t_snapshot = None
        self.snapshot_seq = None
        self.heads = None
        self.events = []  # (t_ns, seq, prev[view], round)
        self.other = []  # types of anything else that arrived after the snapshot
        self.errors = []
        self.closed = None
        self.rounds_seen = set()
        self.attempts = 0

    def export(self):
        return {
            "kind": self.kind, "t_start": self.t_start, "t_open": self.t_open,
            "t_snapshot": self.t_snapshot, "snapshot_seq": self.snapshot_seq, "heads": self.heads,
            "events": self.events, "other": self.other, "errors": self.errors[:3],
            "closed": self.closed, "attempts": self.attempts,
        }


class ClientSwarm:
    """Many sockets in one process: connect with bounded concurrency, record what arrives."""

    def __init__(self, clients, opts, channel):
        self.clients = clients  # [(kind, url)]
        self.opts = opts
        self.channel = channel
        self.records = [ClientRecord(kind) for kind, _ in clients]
        self.sockets = [None] * len(clients)
        self.settled = 0
        self.connected = 0
        self.all_settled = asyncio.Event()
        self.round_counts = {}
        self.nonce = opts["nonce"]

    async def connect_all(self):
        from websockets.asyncio.client import connect

        sem = asyncio.Semaphore(self.opts["concurrency"])
        headers = self.opts.get("headers") or {}

        async def one(i, kind, url):
            rec = self.records[i]
            async with sem:
                rec.t_start = now_ns()
                ws = None
                for attempt in range(self.opts["attempts"]):
                    rec.attempts = attempt + 1
                    try:
                        ws = await connect(
                            url, origin=self.opts["origin"], additional_headers=headers,
                            compression=None, ping_interval=None, max_size=None,
                            open_timeout=self.opts["open_timeout"], close_timeout=2,
                        )
                        rec.t_open = now_ns()
                        text = await asyncio.wait_for(ws.recv(), self.opts["open_timeout"])
                        snapshot = json.loads(text)
                        if snapshot.get("type") != "snapshot":
                            raise RuntimeError(f"first message is not a snapshot: {text[:200]}")
                        rec.t_snapshot = now_ns()
                        rec.snapshot_seq = snapshot["seq"]
                        rec.heads = snapshot["heads"]
                        break
                    except Exception as exc:  # noqa: BLE001 - every failure is reported
                        rec.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                        if ws is not None:
                            ws.transport.abort()
                            ws = None
                        await asyncio.sleep(0.5 * (attempt + 1))
            self.sockets[i] = ws
            if ws is not None:
                self.connected += 1
            self.settled += 1
            if self.settled == len(self.clients):
                self.all_settled.set()
            if ws is not None:
                await self.listen(i, ws)

        self.tasks = [asyncio.create_task(one(i, kind, url)) for i, (kind, url) in enumerate(self.clients)]
        if not self.clients:
            self.all_settled.set()
        await self.all_settled.wait()

    async def listen(self, i, ws):
        from websockets.exceptions import ConnectionClosed

        rec = self.records[i]
        view = rec.kind
        loads = json.loads
        try:
            async for text in ws:
                t = now_ns()
                msg = loads(text)
                if msg.get("type") != "event":
                    rec.other.append(msg.get("type"))
                    continue
                display = (msg.get("data") or {}).get("display") or {}
                k = parse_round(display.get("text"), self.nonce)
                rec.events.append((t, msg.get("seq"), (msg.get("prev") or {}).get(view), k))
                if k is not None and k not in rec.rounds_seen:
                    rec.rounds_seen.add(k)
                    n = self.round_counts[k] = self.round_counts.get(k, 0) + 1
                    if n == self.connected:
                        self.channel.send(("round", k, t))
        except ConnectionClosed as exc:
            rec.closed = f"{exc.rcvd.code if exc.rcvd else None}"
        except Exception as exc:  # noqa: BLE001
            rec.errors.append(f"listen: {type(exc).__name__}: {exc}"[:300])

    async def close_all(self):
        for ws in self.sockets:
            if ws is not None:
                ws.transport.abort()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def _worker_async(conn, clients, opts):
    loop = asyncio.get_running_loop()
    channel = PipeChannel(conn, loop)
    swarm = ClientSwarm(clients, opts, channel)
    channel.send(("ready", os.getpid()))
    while True:
        msg = await channel.recv()
        if msg[0] == "connect":
            await swarm.connect_all()
            # The bench must not pause itself: after connecting, move every object out of the
            # collector's reach and stop collecting (the few MB of records do not need it).
            gc.collect()
            gc.freeze()
            gc.disable()
            recs = swarm.records
            channel.send(("connected", {
                "ok": swarm.connected, "failed": len(clients) - swarm.connected,
                "retried": sum(1 for r in recs if r.attempts > 1),
                "t_last_snapshot": max((r.t_snapshot for r in recs if r.t_snapshot), default=None),
                "errors": [e for r in recs for e in r.errors][:5],
            }))
        elif msg[0] == "finish":
            channel.send(("records", [r.export() for r in swarm.records]))
            await swarm.close_all()
            return
        elif msg[0] == "eof":
            await swarm.close_all()
            return


def worker_main(conn, clients, opts):
    """Entry point of a client worker process."""
    try:
        asyncio.run(_worker_async(conn, clients, opts))
    except Exception:
        try:
            conn.send(("crash", traceback.format_exc()))
        except Exception:
            pass
        raise


# ==== the console and the measurement (main process) =========================================

class Console:
    """The operator's socket: sends the rounds and times the acknowledgements."""

    def __init__(self, url, origin, headers, nonce):
        self.url, self.origin, self.headers, self.nonce = url, origin, headers, nonce
        self.acks = {}  # request id -> (t_ns, message)
        self.waiting = {}
        self.events = {}  # round -> t_ns the console itself got the event

    async def connect(self):
        from websockets.asyncio.client import connect

        self.ws = await connect(self.url, origin=self.origin, additional_headers=self.headers,
                                compression=None, ping_interval=None, max_size=None,
                                open_timeout=60)
        snapshot = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
        if snapshot.get("type") != "snapshot":
            raise RuntimeError(f"console: first message is not a snapshot: {snapshot}")
        self.reader = asyncio.create_task(self._read())
        return snapshot

    async def _read(self):
        async for text in self.ws:
            t = now_ns()
            msg = json.loads(text)
            if msg.get("type") in ("ok", "error"):
                self.acks[msg.get("id")] = (t, msg)
                fut = self.waiting.pop(msg.get("id"), None)
                if fut is not None and not fut.done():
                    fut.set_result((t, msg))
            elif msg.get("type") == "event":
                k = parse_round(((msg.get("data") or {}).get("display") or {}).get("text"), self.nonce)
                if k is not None:
                    self.events.setdefault(k, t)

    async def trigger(self, k):
        fut = asyncio.get_running_loop().create_future()
        self.waiting[k] = fut
        payload = json.dumps({"type": "display.set", "mode": "message",
                              "text": round_text(self.nonce, k), "id": k}, ensure_ascii=False)
        t_send = now_ns()
        await self.ws.send(payload)
        return t_send, fut

    async def close(self):
        self.reader.cancel()
        self.ws.transport.abort()


class Target:
    """Where the clients connect: URLs, the server's pid, how the console authenticates."""

    def __init__(self, name, pid, origin, tablet_urls, display_urls, console_url, console_headers,
                 client_headers=None, info=None):
        self.name, self.pid, self.origin = name, pid, origin
        self.tablet_urls, self.display_urls = tablet_urls, display_urls
        self.console_url, self.console_headers = console_url, console_headers
        self.client_headers = client_headers or {}
        self.info = info or {}


async def measure(target, opts):
    """Connect everyone, run the rounds, collect and check what every client received."""
    loop = asyncio.get_running_loop()
    nonce = uuid.uuid4().hex[:8]
    clients = [("tablet", u) for u in target.tablet_urls] + [("display", u) for u in target.display_urls]
    nworkers = max(1, min(opts.workers, len(clients)))
    wopts = {
        "nonce": nonce, "origin": target.origin, "headers": target.client_headers,
        "concurrency": max(1, math.ceil(opts.concurrency / nworkers)), "attempts": 3,
        "open_timeout": opts.open_timeout,
    }
    ctx = mp.get_context("spawn")
    server = ProcessSampler(target.pid).start()
    workers = []
    for w in range(nworkers):
        parent_end, child_end = ctx.Pipe()
        proc = ctx.Process(target=worker_main, args=(child_end, clients[w::nworkers], wopts),
                           name=f"fanout-worker-{w}", daemon=True)
        proc.start()
        child_end.close()
        workers.append({"proc": proc, "chan": PipeChannel(parent_end, loop), "n": len(clients[w::nworkers])})

    async def expect(worker, kind, timeout):
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"worker {worker['proc'].name}: no {kind!r} within {timeout}s")
            msg = await asyncio.wait_for(worker["chan"].recv(), left)
            if msg[0] == kind:
                return msg
            if msg[0] == "crash":
                raise RuntimeError(f"worker {worker['proc'].name} crashed:\n{msg[1]}")
            if msg[0] == "eof":
                raise RuntimeError(f"worker {worker['proc'].name} exited")
            worker.setdefault("early", []).append(msg)

    result = {"target": target.name, "server": dict(target.info), "clients": len(clients),
              "tablets": len(target.tablet_urls), "displays": len(target.display_urls),
              "workers": nworkers, "rounds": opts.rounds}
    console = None
    try:
        for worker in workers:
            msg = await expect(worker, "ready", 60)
            worker["pid"] = msg[1]
            worker["sampler"] = ProcessSampler(msg[1]).start()

        console = Console(target.console_url, target.origin, target.console_headers, nonce)
        await console.connect()
        load = LoadMeter([os.getpid(), target.pid, *(w["pid"] for w in workers)])
        load.mark("connect_start")

        # ---- connect everyone ----
        server.mark("connect_start")
        for worker in workers:
            worker["sampler"].mark("connect_start")
        t_connect = now_ns()
        for worker in workers:
            worker["chan"].send(("connect",))
        connected = [(await expect(w, "connected", opts.connect_timeout))[1] for w in workers]
        server.mark("connect_end")
        load.mark("connect_end")
        t_connected = now_ns()
        last = [c["t_last_snapshot"] for c in connected if c["t_last_snapshot"]]
        result["connect"] = {
            "ok": sum(c["ok"] for c in connected),
            "failed": sum(c["failed"] for c in connected),
            "retried": sum(c["retried"] for c in connected),
            "errors": [e for c in connected for e in c["errors"]][:10],
            "all_s": ((max(last) if last else t_connected) - t_connect) / 1e9,
        }
        await asyncio.sleep(opts.settle)

        # ---- the rounds ----
        rounds = []
        load.mark("rounds_start")
        for k in range(1, opts.rounds + 1):
            server.mark(f"r{k}_send")
            for w in workers:
                w["sampler"].mark(f"r{k}_send")
            t_send, ack = await console.trigger(k)
            done_at = {}

            async def wait_worker(w):
                while True:  # a round that timed out earlier may still complete late: skip it
                    msg = await expect(w, "round", opts.round_timeout)
                    if msg[1] == k:
                        done_at[id(w)] = msg[2]
                        return

            timed_out = False
            try:
                await asyncio.wait_for(asyncio.gather(ack, *(wait_worker(w) for w in workers)),
                                       opts.round_timeout)
            except (asyncio.TimeoutError, TimeoutError):
                timed_out = True
            server.mark(f"r{k}_done")
            for w in workers:
                w["sampler"].mark(f"r{k}_done")
            t_ack, ack_msg = ack.result() if ack.done() else (None, None)
            rounds.append({
                "round": k, "t_send": t_send, "ack_ms": ms(t_ack - t_send) if t_ack else None,
                "ack": ack_msg, "timed_out": timed_out,
                "all_delivered_ms": ms(max(done_at.values()) - t_send) if len(done_at) == len(workers) else None,
                "console_event_ms": ms(console.events[k] - t_send) if k in console.events else None,
                "server_cpu_ms": _cpu_ms(server, k),
                "bench_cpu_ms": sum(_cpu_ms(w["sampler"], k) or 0 for w in workers),
            })
            if timed_out:
                # Everyone may still be busy; let the stragglers arrive before the next round.
                await asyncio.sleep(opts.interval)
            next_at = t_send + int(opts.interval * 1e9)
            await asyncio.sleep(max(0.2, (next_at - now_ns()) / 1e9))

        await asyncio.sleep(0.5)  # duplicates or late events would arrive now
        server.mark("end")
        load.mark("rounds_end")
        result["other_load"] = {"connect": load.others("connect_start", "connect_end"),
                                "rounds": load.others("rounds_start", "rounds_end")}
        records = []
        for w in workers:
            w["chan"].send(("finish",))
        for w in workers:
            records.extend((await expect(w, "records", 120))[1])
        result["server"]["peak_cpu_percent_0.5s"] = server.peak_cpu_percent(0.5)
    finally:
        if console is not None:
            try:
                await console.close()
            except Exception:
                pass
        server.stop()
        for w in workers:
            if "sampler" in w:
                w["sampler"].stop()
            w["proc"].join(10)
            if w["proc"].is_alive():
                w["proc"].kill()
            loop.remove_reader(w["chan"].conn.fileno())

    result["rounds_detail"] = rounds
    result.update(analyse(records, rounds, opts.rounds))
    cpu, wall, pct = server.cpu_between("connect_start", "connect_end")
    result["server"].update({
        "pid": target.pid,
        "connect_cpu_s": cpu, "connect_wall_s": wall, "connect_cpu_percent": pct,
        "peak_rss_mib": server.peak_rss_bytes / 2**20,
        "end_rss_mib": server.samples[-1][2] / 2**20 if server.samples else None,
        "series": server.series(),
    })
    result["bench"] = {
        "workers": [{"pid": w.get("pid"), "clients": w["n"],
                     "peak_rss_mib": w["sampler"].peak_rss_bytes / 2**20 if "sampler" in w else None,
                     "connect_cpu_s": w["sampler"].cpu_between("connect_start", "connect_end")[0]
                     if "sampler" in w else None}
                    for w in workers],
    }
    return result


def _cpu_ms(sampler, k):
    cpu, _, _ = sampler.cpu_between(f"r{k}_send", f"r{k}_done")
    return None if cpu is None else cpu * 1000


def analyse(records, rounds, nrounds):
    """Check every client's stream and collect the latencies."""
    sent = {r["round"]: r["t_send"] for r in rounds}
    latencies = []
    per_round = {k: [] for k in sent}
    lost = dup = out_of_order = gaps = stray = closed = 0
    connect_ns, open_ns = [], []
    for rec in records:
        if rec["t_snapshot"] is None:
            continue
        connect_ns.append(rec["t_snapshot"] - rec["t_start"])
        open_ns.append(rec["t_open"] - rec["t_start"])
        if rec["closed"] is not None:
            closed += 1
        stray += len(rec["other"])
        last = dict(rec["heads"] or {})
        view = rec["kind"]
        last_seq = rec["snapshot_seq"]
        seen = {}
        for t, seq, prev, k in rec["events"]:
            if seq is None or seq <= last_seq:
                out_of_order += 1
            else:
                last_seq = seq
            if prev != last.get(view, 0):
                gaps += 1
            if seq is not None and seq > last.get(view, 0):
                last[view] = seq
            if k is None or k not in sent:
                stray += 1
                continue
            if k in seen:
                dup += 1
                continue
            seen[k] = t
            latency = t - sent[k]
            latencies.append(latency)
            per_round[k].append(latency)
        lost += sum(1 for k in sent if k not in seen)
    lost += (nrounds - len(sent)) * len(records)
    return {
        "connect_latency_ms": {k: ms(v) if k not in ("n",) and v is not None else v
                               for k, v in summarize(connect_ns).items()},
        "handshake_latency_ms": {k: ms(v) if k != "n" and v is not None else v
                                 for k, v in summarize(open_ns).items()},
        "latency_ms": {k: ms(v) if k != "n" and v is not None else v for k, v in summarize(latencies).items()},
        "per_round_ms": {k: {s: ms(v) if s != "n" and v is not None else v
                             for s, v in summarize(vals).items()} for k, vals in per_round.items()},
        "integrity": {"expected": len(records) * nrounds, "received": len(latencies), "lost": lost,
                      "duplicated": dup, "out_of_order": out_of_order, "gaps": gaps,
                      "stray_messages": stray, "closed_by_server": closed},
    }


# ==== the two servers ==========================================================================

def _bench_hall_env_class():
    from tests.hallserver import HallEnv

    class BenchHallEnv(HallEnv):
        debug = False

        @property
        def env(self):
            env = super().env
            env["HUITANG_DEBUG"] = "1" if self.debug else "0"
            return env

    return BenchHallEnv


MINT_SCRIPT = """
import json
from django.db.models import Count
from meeting.access import make_token
from meeting.models import Meeting, Participant
m = (Meeting.objects.filter(kind="plenary").annotate(n=Count("participants"))
     .order_by("-n", "id").first())
ids = list(Participant.objects.filter(meeting=m).order_by("-role", "id")
           .values_list("member_id", flat=True)[:{n}])
# The operator's session, as tests.hallserver.HallEnv.staff_cookie makes it (one process, not two).
from django.contrib.auth.models import Group, User
from django.test import Client
user, _ = User.objects.get_or_create(username="op-bench")
user.groups.set([Group.objects.get(name="操作员")])
client = Client()
client.force_login(user)
print("BENCH-CREDENTIALS " + json.dumps({{
    "meeting": m.id, "participants": m.n,
    "tablets": [[i, make_token("tablet", m.id, i)] for i in ids],
    "display": make_token("display", m.id),
    "sessionid": client.cookies["sessionid"].value,
}}))
"""


def start_huitang(opts, workdir, log):
    from tests.hallserver import start_server

    env = _bench_hall_env_class()(Path(workdir) / "hall")
    env.debug = opts.server_debug
    t = time.monotonic()
    log(f"huitang: migrate + seed_demo --deputies {opts.clients} --standing 45 …")
    try:
        env.prepare(deputies=opts.clients, standing=45)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"preparing the database failed:\n{exc.stdout}\n{exc.stderr}") from None
    prepare_s = time.monotonic() - t
    out = env.manage("shell", "-c", MINT_SCRIPT.format(n=opts.clients))
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH-CREDENTIALS ")), None)
    if line is None:
        raise RuntimeError(f"minting tokens failed:\n{out.stdout}\n{out.stderr}")
    creds = json.loads(line.split(" ", 1)[1])
    if len(creds["tablets"]) < opts.clients:
        raise RuntimeError(f"the plenary has only {len(creds['tablets'])} participants, "
                           f"{opts.clients} wanted")
    cookie = creds["sessionid"]
    log(f"huitang: prepared in {prepare_s:.1f}s; meeting {creds['meeting']}, "
        f"{len(creds['tablets'])} tablet tokens; starting daphne …")
    server = start_server(env)
    ws = server.ws_base
    mid = creds["meeting"]
    target = Target(
        "huitang", server.proc.pid, server.base,
        [f"{ws}/ws/tablet/{mid}/?token={tok}" for _, tok in creds["tablets"]],
        [f"{ws}/ws/display/{mid}/?token={creds['display']}" for _ in range(opts.displays)],
        f"{ws}/ws/console/{mid}/", {"Cookie": f"sessionid={cookie}"},
        info={"kind": "daphne", "debug": opts.server_debug, "prepare_s": prepare_s,
              "meeting": mid, "log": str(env.var_dir / f"server-{server.port}.log")},
    )
    return target, server.stop


def start_floor(opts, workdir, log):
    log("floor: starting bench.floor_server …")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.floor_server", "--port", "0",
         "--db", str(Path(workdir) / "floor.sqlite3")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=None, text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"floor server did not start: {line!r}")
    port = int(line.split()[1])

    def stop():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    base = f"ws://127.0.0.1:{port}"
    target = Target(
        "floor", proc.pid, f"http://127.0.0.1:{port}",
        [f"{base}/tablet/{i}" for i in range(opts.clients)],
        [f"{base}/display/{i}" for i in range(opts.displays)],
        f"{base}/console", {}, info={"kind": "websockets.broadcast"},
    )
    return target, stop


# ==== report ===================================================================================

def failures(result):
    """Reasons this run counts as failed (empty if it passed)."""
    out = []
    integ = result["integrity"]
    if result["connect"]["failed"]:
        out.append(f"{result['target']}: {result['connect']['failed']} clients failed to connect")
    for key in ("lost", "duplicated", "out_of_order", "gaps", "closed_by_server"):
        if integ[key]:
            out.append(f"{result['target']}: {integ[key]} {key.replace('_', ' ')}")
    for r in result["rounds_detail"]:
        if r["timed_out"]:
            out.append(f"{result['target']}: round {r['round']} timed out")
        if r["ack"] is None or r["ack"].get("type") != "ok":
            out.append(f"{result['target']}: round {r['round']} not acknowledged ok: {r['ack']}")
    return out


def _median(values):
    values = sorted(v for v in values if v is not None)
    return values[len(values) // 2] if values else None


def headline(result):
    """The figures of the table, for one server."""
    if result is None:
        return None
    lat = result["latency_ms"]
    rd = result["rounds_detail"]
    return {
        "connect_all_s": result["connect"]["all_s"],
        "connect_p99_ms": result["connect_latency_ms"]["p99"],
        "fanout_p50_ms": lat["p50"], "fanout_p99_ms": lat["p99"], "fanout_max_ms": lat["max"],
        "ack_median_ms": _median(r["ack_ms"] for r in rd),
        "ack_max_ms": max((r["ack_ms"] for r in rd if r["ack_ms"] is not None), default=None),
        "server_cpu_connect_percent": result["server"]["connect_cpu_percent"],
        "server_cpu_per_event_ms": _median(r["server_cpu_ms"] for r in rd),
        "server_peak_cpu_percent": result["server"].get("peak_cpu_percent_0.5s"),
        "server_peak_rss_mib": result["server"]["peak_rss_mib"],
        "bench_cpu_per_event_ms": _median(r["bench_cpu_ms"] for r in rd),
        "other_load_percent": max((v["other_percent"] or 0) for v in result["other_load"].values() if v),
    }


BUSY_PERCENT = 15  # other processes' CPU above which a run is flagged as disturbed

ROWS = [
    ("connect all (N+displays, to snapshot)", "connect_all_s", " s", 2),
    ("connect, per client p99", "connect_p99_ms", " ms", 0),
    ("fan-out p50", "fanout_p50_ms", " ms", 1),
    ("fan-out p99", "fanout_p99_ms", " ms", 1),
    ("fan-out max", "fanout_max_ms", " ms", 1),
    ("console ack (median of rounds)", "ack_median_ms", " ms", 1),
    ("server CPU while connecting (% of a core)", "server_cpu_connect_percent", " %", 0),
    ("server CPU per event (median)", "server_cpu_per_event_ms", " ms", 1),
    ("server peak CPU (0.5 s window)", "server_peak_cpu_percent", " %", 0),
    ("server peak RSS", "server_peak_rss_mib", " MiB", 0),
    ("bench clients' CPU per event (median)", "bench_cpu_per_event_ms", " ms", 1),
    ("other processes on the machine (CPU, % of a core)", "other_load_percent", " %", 0),
]


def render(report):
    h, f = report["headline"].get("huitang"), report["headline"].get("floor")
    rows = []
    for label, key, unit, digits in ROWS:
        a = h.get(key) if h else None
        b = f.get(key) if f else None
        rows.append([label, fmt(a, unit, digits), fmt(b, unit, digits),
                     ratio(a, b) if key != "other_load_percent" else ""])
    m = report["machine"]
    o = report["options"]
    lines = [
        f"## Fan-out: {o['clients']} tablets + {o['displays']} displays + 1 console, "
        f"{o['rounds']} rounds",
        "",
        markdown_table(["", "Huitang", "floor", "ratio"], rows),
        "",
    ]
    for name in ("huitang", "floor"):
        r = report["results"].get(name)
        if r is None:
            continue
        i = r["integrity"]
        c = r["connect"]
        lines.append(
            f"- {name}: {c['ok']}/{r['clients']} clients connected ({c['retried']} needed a retry"
            + (f"; first error: {c['errors'][0]}" if c["errors"] else "") + "); "
            f"{i['received']}/{i['expected']} events delivered; lost {i['lost']}, "
            f"duplicated {i['duplicated']}, out of order {i['out_of_order']}, gaps {i['gaps']}; "
            f"per-round p99 (ms): "
            + ", ".join(fmt(v["p99"], "", 0) for v in r["per_round_ms"].values())
        )
    lines += [
        f"- machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}, "
        f"websockets {m['packages'].get('websockets')}, daphne {m['packages'].get('daphne')}",
        f"- clients: {o['workers']} worker process(es), {o['concurrency']} concurrent connects, "
        f"permessage-deflate off, client pings off; Huitang DEBUG={'on' if o['server_debug'] else 'off'}",
        f"- result: {'PASS' if not report['failures'] else 'FAIL: ' + '; '.join(report['failures'])}",
    ]
    busy = [n for n, hl in report["headline"].items() if hl and (hl["other_load_percent"] or 0) > BUSY_PERCENT]
    if busy:
        lines.append(f"- WARNING: other processes used more than {BUSY_PERCENT}% of a core during the "
                     f"{' and '.join(busy)} run(s); those figures are not clean, run again on a quiet machine")
    return "\n".join(lines)


# ==== main =====================================================================================

def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.fanout",
                                description="Hall-wide fan-out latency: Huitang vs a bare websockets server.")
    p.add_argument("--clients", type=int, default=3000, help="tablets (default 3000)")
    p.add_argument("--displays", type=int, default=10, help="hall displays (default 10)")
    p.add_argument("--rounds", type=int, default=5, help="events to send (default 5)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between rounds (default 1)")
    p.add_argument("--workers", type=int, default=1,
                   help="client processes (default 1; see bench/README.md)")
    p.add_argument("--concurrency", type=int, default=200, help="connects in flight (default 200)")
    p.add_argument("--settle", type=float, default=1.0, help="pause after connecting (default 1 s)")
    p.add_argument("--open-timeout", type=float, default=60.0)
    p.add_argument("--connect-timeout", type=float, default=300.0)
    p.add_argument("--round-timeout", type=float, default=30.0)
    p.add_argument("--skip-floor", action="store_true", help="measure Huitang only")
    p.add_argument("--skip-huitang", action="store_true", help="measure the floor only")
    p.add_argument("--server-debug", action="store_true", help="run Huitang with HUITANG_DEBUG=1")
    p.add_argument("--json", metavar="PATH", help="also write the JSON report here")
    p.add_argument("--results-dir", metavar="DIR", default=None,
                   help="where fanout-<timestamp>.json/.md go (default bench/results/)")
    p.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    p.add_argument("--quiet", action="store_true")
    return p.parse_args(argv)


def run(opts):
    """Run the benchmark; return the report dict."""
    nofile = raise_nofile_limit()
    t0 = time.monotonic()

    def log(msg):
        if not opts.quiet:
            print(f"[fanout {time.monotonic() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    need = opts.clients + opts.displays + 64
    if nofile[0] < need:
        raise RuntimeError(f"open-file limit {nofile[0]} is below the {need} sockets needed")
    workdir = tempfile.mkdtemp(prefix="huitang-fanout-")
    report = {
        "bench": "fanout", "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "options": {k: v for k, v in vars(opts).items()},
        "machine": machine_info(), "results": {}, "headline": {},
    }
    try:
        plan = []
        if not opts.skip_huitang:
            plan.append(("huitang", start_huitang))
        if not opts.skip_floor:
            plan.append(("floor", start_floor))
        for name, start in plan:
            target, stop = start(opts, workdir, log)
            try:
                log(f"{name}: connecting {opts.clients} tablets + {opts.displays} displays …")
                result = asyncio.run(measure(target, opts))
            finally:
                stop()
            report["results"][name] = result
            report["headline"][name] = headline(result)
            hl = report["headline"][name]
            log(f"{name}: connect {hl['connect_all_s']:.2f}s; fan-out p50 {fmt(hl['fanout_p50_ms'], ' ms')}, "
                f"p99 {fmt(hl['fanout_p99_ms'], ' ms')}, max {fmt(hl['fanout_max_ms'], ' ms')}")
    finally:
        if opts.keep:
            log(f"data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report["failures"] = [f for r in report["results"].values() for f in failures(r)]
    report["markdown"] = render(report)
    return report


def main(argv=None):
    opts = parse_args(argv)
    report = run(opts)
    paths = write_report("fanout", report, report["markdown"], opts.json, opts.results_dir)
    print(report["markdown"])
    print(f"\nwritten: {paths['json']} and {paths['md']}")
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
