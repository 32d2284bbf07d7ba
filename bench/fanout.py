"""Fan-out benchmark: how long one hall-wide event takes to reach every socket.

    .venv/bin/python -m bench.fanout --clients 3000        (or: make fanout N=3000)

Two servers, one after the other, the same clients and the same scenario:

1. **Huitang**: one daphne process on a fresh SQLite database seeded with N deputies, N tablets
   and D displays registered as paired devices (bench/devices.py, as bench.meeting does). Every
   device connects (``/ws/<kind>/<meeting>/?device=<id>``), answers its challenge with an Ed25519
   signature and waits for its ``snapshot``; then the console sends ``display.set`` (mode
   ``message``, audience all) R times, about a second apart.
2. **The floor**: bench/floor_server.py, a bare ``websockets`` server that commits the event to
   SQLite (WAL, synchronous=FULL) and pushes one message of the same shape and size to every
   connection with ``websockets.broadcast`` (no challenge: the snapshot comes at once).

For every round and every client, latency = the client's receive time − the time the console
wrote the request (``time.monotonic_ns()``, one clock for all processes on Linux). Every client
must get every round's event exactly once, in sequence order, with no gap in the ``prev`` chain
(docs/protocol.md); anything else is a failure and the exit status is 1.

The clients run in ``--workers`` child processes (bench.common.WorkerPool: asyncio + websockets,
compression off, client pings off); the console and the CPU/RSS samplers (psutil) run in the main
process. See bench/README.md for what the numbers mean and why the defaults are what they are.
"""

import asyncio
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Console, LoadMeter, ProcessSampler, Run, Target, WorkerPool, argument_parser, busy_warning, command_line,
    comparison_rows, connect_latencies, fmt, machine_line, markdown_table, median, ms, ms_summary, now_ns, publish,
    result_line, start_floor_process,
)
from bench.devices import DeviceRecord, Swarm, device_specs, huitang_info, prepare_hall, start_daphnes  # noqa: E402

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

class FanoutDevice(DeviceRecord):
    __slots__ = ("snapshot_seq", "heads", "events", "other", "rounds_seen")

    def __init__(self, spec):
        super().__init__(spec)
        self.snapshot_seq = None
        self.heads = None
        self.events = []  # (t_ns, seq, prev[view], round)
        self.other = []  # types of anything else that arrived after the snapshot
        self.rounds_seen = set()

    def export(self):
        return {**super().export(), "snapshot_seq": self.snapshot_seq, "heads": self.heads,
                "events": self.events, "other": self.other}


class FanoutSwarm(Swarm):
    """Records every event; tells the main process when every device has round k."""

    record = FanoutDevice

    def __init__(self, specs, opts, channel):
        super().__init__(specs, opts, channel)
        self.nonce = opts["nonce"]
        self.round_counts = {}

    def on_snapshot(self, dev, msg):
        dev.snapshot_seq = msg["seq"]
        dev.heads = msg["heads"]

    def on_message(self, dev, msg, t):
        if msg.get("type") != "event":
            dev.other.append(msg.get("type"))
            return
        display = (msg.get("data") or {}).get("display") or {}
        k = parse_round(display.get("text"), self.nonce)
        dev.events.append((t, msg.get("seq"), (msg.get("prev") or {}).get(dev.kind), k))
        if k is not None and k not in dev.rounds_seen:
            dev.rounds_seen.add(k)
            n = self.round_counts[k] = self.round_counts.get(k, 0) + 1
            if n == len(self.connected):
                self.channel.send(("round", k, t))


# ==== the console and the measurement (main process) =========================================

class FanoutConsole(Console):
    """The operator's socket; also notes when it got each round's event itself."""

    def __init__(self, url, origin, headers, nonce):
        super().__init__(url, origin, headers)
        self.nonce = nonce
        self.events = {}  # round -> t_ns

    def on_event(self, msg, t):
        k = parse_round(((msg.get("data") or {}).get("display") or {}).get("text"), self.nonce)
        if k is not None:
            self.events.setdefault(k, t)

    async def trigger(self, k):
        return await self.send("display.set", mode="message", text=round_text(self.nonce, k))


async def measure(target, opts):
    """Connect everyone, run the rounds, collect and check what every client received."""
    nonce = uuid.uuid4().hex[:8]
    pool = WorkerPool(FanoutSwarm, target.devices, opts, "fanout", nonce=nonce)
    server = ProcessSampler(target.pids[0]).start()
    result = {"target": target.name, "server": dict(target.info), "clients": len(target.devices),
              "tablets": sum(1 for d in target.devices if d["kind"] == "tablet"),
              "displays": sum(1 for d in target.devices if d["kind"] == "display"),
              "workers": len(pool), "rounds": opts.rounds}
    console = None
    rounds, records = [], []

    def mark(name):
        for sampler in (server, *pool.samplers):
            sampler.mark(name)

    try:
        await pool.start()
        console = FanoutConsole(target.console_url, target.origin, target.console_headers, nonce)
        await console.connect()
        load = LoadMeter([os.getpid(), *target.pids, *pool.pids])

        # ---- connect everyone ----
        load.mark("connect_start")
        mark("connect_start")
        result["connect"] = await pool.connect(opts.connect_timeout)
        mark("connect_end")
        load.mark("connect_end")
        await asyncio.sleep(opts.settle)

        # ---- the rounds ----
        load.mark("rounds_start")
        for k in range(1, opts.rounds + 1):
            mark(f"r{k}_send")
            t_send, ack = await console.trigger(k)
            done_at = {}

            async def wait_worker(w):
                while True:  # a round that timed out earlier may still complete late: skip it
                    msg = await pool.expect(w, "round", opts.round_timeout)
                    if msg[1] == k:
                        done_at[id(w)] = msg[2]
                        return

            timed_out = False
            try:
                await asyncio.wait_for(asyncio.gather(ack, *(wait_worker(w) for w in pool)), opts.round_timeout)
            except (asyncio.TimeoutError, TimeoutError):
                timed_out = True
            mark(f"r{k}_done")
            t_ack, ack_msg = ack.result() if ack.done() else (None, None)
            rounds.append({
                "round": k, "t_send": t_send, "ack_ms": ms(t_ack - t_send) if t_ack else None,
                "ack": ack_msg, "timed_out": timed_out,
                "all_delivered_ms": ms(max(done_at.values()) - t_send) if len(done_at) == len(pool) else None,
                "console_event_ms": ms(console.events[k] - t_send) if k in console.events else None,
                "server_cpu_ms": _cpu_ms(server, k),
                "bench_cpu_ms": sum(_cpu_ms(s, k) or 0 for s in pool.samplers),
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
        records = await pool.records()
        result["server"]["peak_cpu_percent_0.5s"] = server.peak_cpu_percent(0.5)
    finally:
        if console is not None:
            try:
                await console.close()
            except Exception:
                pass
        server.stop()
        pool.close()

    result["console"] = {"gaps": console.gaps, "dups": console.dups, "errors": console.errors}
    result["rounds_detail"] = rounds
    result.update(analyse(records, rounds, opts.rounds))
    cpu, wall, pct = server.cpu_between("connect_start", "connect_end")
    result["server"].update({
        "pid": target.pids[0],
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
                    for w in pool],
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
    for rec in records:
        if rec["t_snapshot"] is None:
            continue
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
        **connect_latencies(records),
        "latency_ms": ms_summary(latencies),
        "per_round_ms": {k: ms_summary(vals) for k, vals in per_round.items()},
        "integrity": {"expected": len(records) * nrounds, "received": len(latencies), "lost": lost,
                      "duplicated": dup, "out_of_order": out_of_order, "gaps": gaps,
                      "stray_messages": stray, "closed_by_server": closed},
    }


# ==== the two servers ==========================================================================

def start_huitang(opts, run):
    hall = prepare_hall(opts.clients, opts.displays, run.workdir, run.log, debug=opts.server_debug)
    servers, stop = start_daphnes(hall, 1, run.log)
    server = servers[0]
    target = Target(
        "huitang", [server.proc.pid], device_specs(hall, [(server.ws_base, server.base)]),
        f"{server.ws_base}/ws/console/{hall.meeting}/", server.base, {"Cookie": f"sessionid={hall.cookie}"},
        info=huitang_info(hall, servers, debug=opts.server_debug),
    )
    return target, stop


def start_floor(opts, run):
    proc, port, stop = start_floor_process("bench.floor_server", ["--db", str(run.workdir / "floor.sqlite3")],
                                           run.log)
    base, origin = f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
    devices = [{"kind": "tablet", "url": f"{base}/tablet/{i}", "origin": origin} for i in range(opts.clients)]
    devices += [{"kind": "display", "url": f"{base}/display/{i}", "origin": origin} for i in range(opts.displays)]
    target = Target("floor", [proc.pid], devices, f"{base}/console", origin, {},
                    info={"kind": "websockets.broadcast"})
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
    for key in ("gaps", "dups"):
        if result["console"][key]:
            out.append(f"{result['target']}: {result['console'][key]} {key} in the console's stream")
    for r in result["rounds_detail"]:
        if r["timed_out"]:
            out.append(f"{result['target']}: round {r['round']} timed out")
        if r["ack"] is None or r["ack"].get("type") != "ok":
            out.append(f"{result['target']}: round {r['round']} not acknowledged ok: {r['ack']}")
    return out


def headline(result):
    """The figures of the table, for one server."""
    lat = result["latency_ms"]
    rd = result["rounds_detail"]
    return {
        "connect_all_s": result["connect"]["all_s"],
        "connect_p99_ms": result["connect_latency_ms"]["p99"],
        "fanout_p50_ms": lat["p50"], "fanout_p99_ms": lat["p99"], "fanout_max_ms": lat["max"],
        "ack_median_ms": median(r["ack_ms"] for r in rd),
        "ack_max_ms": max((r["ack_ms"] for r in rd if r["ack_ms"] is not None), default=None),
        "server_cpu_connect_percent": result["server"]["connect_cpu_percent"],
        "server_cpu_per_event_ms": median(r["server_cpu_ms"] for r in rd),
        "server_peak_cpu_percent": result["server"].get("peak_cpu_percent_0.5s"),
        "server_peak_rss_mib": result["server"]["peak_rss_mib"],
        "bench_cpu_per_event_ms": median(r["bench_cpu_ms"] for r in rd),
        "other_load_percent": max((v["other_percent"] or 0) for v in result["other_load"].values() if v),
    }


ROWS = [
    ("connect all (tablets + displays, to snapshot; Huitang: challenge signed)", "connect_all_s", " s", 2),
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
    o = report["options"]
    lines = [
        f"## Fan-out: {o['clients']} tablets + {o['displays']} displays + 1 console, {o['rounds']} rounds",
        "",
        markdown_table(["", "Huitang", "floor", "ratio"], comparison_rows(report, ROWS)),
        "",
    ]
    for name, r in report["results"].items():
        i, c = r["integrity"], r["connect"]
        lines.append(
            f"- {name}: {c['ok']}/{r['clients']} clients connected ({c['retried']} needed a retry"
            + (f"; first error: {c['errors'][0]}" if c["errors"] else "") + "); "
            f"{i['received']}/{i['expected']} events delivered; lost {i['lost']}, "
            f"duplicated {i['duplicated']}, out of order {i['out_of_order']}, gaps {i['gaps']}; "
            f"per-round p99 (ms): " + ", ".join(fmt(v["p99"], "", 0) for v in r["per_round_ms"].values())
        )
    lines += [
        machine_line(report["machine"]),
        f"- clients: {o['workers']} worker process(es), {o['concurrency']} concurrent connects, "
        f"permessage-deflate off, client pings off; Huitang tablets and displays are paired devices that "
        f"answer the challenge; Huitang DEBUG={'on' if o['server_debug'] else 'off'}",
        f"- command: `{report['command']}`",
        result_line(report),
        *busy_warning(report),
    ]
    return "\n".join(lines)


# ==== main =====================================================================================

def parse_args(argv=None):
    p = argument_parser("fanout", "Hall-wide fan-out latency: Huitang vs a bare websockets server.")
    p.add_argument("--clients", type=int, default=3000, help="tablets (default 3000)")
    p.add_argument("--rounds", type=int, default=5, help="events to send (default 5)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between rounds (default 1)")
    p.add_argument("--round-timeout", type=float, default=30.0)
    return p.parse_args(argv)


def run(opts, command=None):
    """Run the benchmark; return the report dict."""
    with Run("fanout", opts, opts.clients + opts.displays, command) as bench:
        starts = {"huitang": lambda: start_huitang(opts, bench), "floor": lambda: start_floor(opts, bench)}
        for name, result in bench.targets(starts, lambda target: measure(target, opts)):
            hl = bench.report["headline"][name] = headline(result)
            bench.log(f"{name}: connect {hl['connect_all_s']:.2f}s; fan-out p50 {fmt(hl['fanout_p50_ms'], ' ms')}, "
                      f"p99 {fmt(hl['fanout_p99_ms'], ' ms')}, max {fmt(hl['fanout_max_ms'], ' ms')}")
    return bench.conclude(failures, render)


def main(argv=None):
    opts = parse_args(argv)
    return publish("fanout", run(opts, command_line("fanout", argv)), opts)


if __name__ == "__main__":
    sys.exit(main())
