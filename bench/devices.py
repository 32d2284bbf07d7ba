"""Paired devices for the benchmarks: Huitang's side that bench.fanout and bench.meeting share.

- **The hall.** ``prepare_hall``: a fresh data directory (tests/hallserver.HallEnv), migrate,
  ``seed_demo --deputies N --standing 45``; an Ed25519 key per tablet and display made here; ONE
  ``manage.py shell`` bulk-creates the devices (tablets on the plenary's venue, each on a voting
  member's assigned seat, raw 32-byte public keys) and binds each tablet to its seat's member
  (method ``demo``); the operator's session cookie from HallEnv.staff_cookie(). Pairing over
  HTTP is not what is measured. ``start_daphnes`` starts the server process(es).
- **The devices' client side** (runs in the worker processes, see bench.common.WorkerPool):
  ``Swarm.connect_all`` opens every ``/ws/<kind>/<meeting>/?device=<id>`` socket with bounded
  concurrency, answers the server's challenge by signing ``devices.crypto.auth_message`` with
  the device's key, and waits for the snapshot. A server that sends the snapshot at once (the
  fan-out floor) is taken as it is. A scenario subclasses ``DeviceRecord`` (what one device
  saw) and ``Swarm`` (``on_snapshot``, ``on_message``, ``command``).
"""

import asyncio
import json
import time
import uuid
from pathlib import Path

from bench.common import b64, dumps, now_ns

# ==== the hall (main process) ====================================================================

REGISTER_SCRIPT = r"""
import base64, json
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from devices.models import Binding, Device
from meeting.models import AgendaItem, Meeting, Participant, SeatAssignment

spec = json.load(open({path!r}))
raw = lambda text: base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
m = (Meeting.objects.filter(kind="plenary")
     .annotate(n=Count("participants", filter=Q(participants__role="voting"))).order_by("-n", "id").first())
voting = set(Participant.objects.filter(meeting=m, role="voting").values_list("member_id", flat=True))
seats = [(seat, member) for seat, member in SeatAssignment.objects.filter(meeting=m).order_by("seat_id")
         .values_list("seat_id", "member_id") if member in voting]
if len(seats) < len(spec["tablets"]):
    raise SystemExit(f"only {{len(seats)}} seated voting members, {{len(spec['tablets'])}} tablets wanted")
now = timezone.now()
with transaction.atomic():
    tablets = [Device(id=t["id"], kind="tablet", venue_id=m.venue_id, seat_id=seat, public_key=raw(t["public_key"]),
                      name=f"bench {{i}}", presence_changed_at=now)
               for i, (t, (seat, _member)) in enumerate(zip(spec["tablets"], seats))]
    displays = [Device(id=d["id"], kind="display", venue_id=m.venue_id, public_key=raw(d["public_key"]),
                       name=f"bench display {{i}}", presence_changed_at=now) for i, d in enumerate(spec["displays"])]
    Device.objects.bulk_create(tablets + displays, batch_size=500)
    Binding.objects.bulk_create([Binding(meeting=m, device_id=t.id, member_id=member, method="demo")
                                 for t, (_seat, member) in zip(tablets, seats)], batch_size=500)
item = (AgendaItem.objects.filter(meeting=m, kind="resolution", title__contains="预算").order_by("order").first()
        or AgendaItem.objects.filter(meeting=m, kind="resolution").order_by("order").first())
print("BENCH-REGISTERED " + json.dumps({{
    "meeting": m.id, "title": m.title, "venue": m.venue_id, "entitled": len(voting), "item": item.id,
    "agenda": [{{"id": a.id, "order": a.order, "title": a.title, "kind": a.kind}}
               for a in AgendaItem.objects.filter(meeting=m).order_by("order")],
    "tablets": [[str(t.id), member, seat] for t, (seat, member) in zip(tablets, seats)],
}}, ensure_ascii=False))
"""


def make_keys(count):
    """[(private raw 32 bytes, public raw 32 bytes)] made with cryptography's Ed25519."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    keys = []
    for _ in range(count):
        key = Ed25519PrivateKey.generate()
        keys.append((key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
                     key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)))
    return keys


def hall_env(var_dir, debug=False, redis_url="", database_url=""):
    """A tests.hallserver.HallEnv whose server runs with HUITANG_DEBUG off (on with ``debug``), on
    SQLite in ``var_dir`` or on the PostgreSQL database ``database_url``."""
    from tests.hallserver import HallEnv

    class BenchHallEnv(HallEnv):
        @property
        def env(self):
            env = super().env
            env["HUITANG_DEBUG"] = "1" if debug else "0"
            return env

    return BenchHallEnv(Path(var_dir), redis_url=redis_url, database_url=database_url)


class Hall:
    """The seeded database, the registered devices (``reg``: meeting, item, agenda, entitled,
    tablets [[device, member, seat]], displays [device]) and their keys, the operator's cookie."""

    def __init__(self, env, reg, keys, cookie, prepare_s):
        self.env, self.reg, self.keys, self.cookie, self.prepare_s = env, reg, keys, cookie, prepare_s

    @property
    def meeting(self):
        return self.reg["meeting"]

    def public_key(self, i):
        """The public key of device ``i`` (tablets first, then displays), base64url."""
        return b64(self.keys[i][1])


def prepare_hall(tablets, displays, workdir, log, debug=False, redis_url="", database_url=""):
    """Seed a hall of ``tablets`` deputies and register ``tablets`` + ``displays`` paired devices
    (in SQLite, or in the PostgreSQL database ``database_url``)."""
    env = hall_env(Path(workdir) / "hall", debug=debug, redis_url=redis_url, database_url=database_url)
    t = time.monotonic()
    log(f"prepare: migrate + seed_demo --deputies {tablets} --standing 45 …")
    env.prepare(deputies=tablets, standing=45)
    keys = make_keys(tablets + displays)
    spec = {"tablets": [{"id": str(uuid.uuid4()), "public_key": b64(pub)} for _, pub in keys[:tablets]],
            "displays": [{"id": str(uuid.uuid4()), "public_key": b64(pub)} for _, pub in keys[tablets:]]}
    spec_path = Path(workdir) / "devices.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    out = env.manage("shell", "-c", REGISTER_SCRIPT.format(path=str(spec_path)))
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH-REGISTERED ")), None)
    if line is None:
        raise RuntimeError(f"registering the devices failed:\n{out.stdout}\n{out.stderr}")
    reg = json.loads(line.split(" ", 1)[1])
    reg["displays"] = [d["id"] for d in spec["displays"]]
    cookie = env.staff_cookie("op-bench")
    prepare_s = time.monotonic() - t
    log(f"prepare: {prepare_s:.1f}s; meeting {reg['meeting']} ({reg['entitled']} entitled), "
        f"{len(reg['tablets'])} tablets + {len(reg['displays'])} displays registered, budget item {reg['item']}")
    return Hall(env, reg, keys, cookie, prepare_s)


def device_specs(hall, urls):
    """One spec per registered device: ``urls`` is [(ws base, origin)], devices dealt round-robin."""
    reg, keys = hall.reg, hall.keys
    kinds = [("tablet", device) for device, _member, _seat in reg["tablets"]]
    kinds += [("display", device) for device in reg["displays"]]
    specs = []
    for i, (kind, device) in enumerate(kinds):
        base, origin = urls[(i if kind == "tablet" else i - len(reg["tablets"])) % len(urls)]
        specs.append({"kind": kind, "device": device, "private": keys[i][0], "meeting": reg["meeting"],
                      "url": f"{base}/ws/{kind}/{reg['meeting']}/?device={device}", "origin": origin})
    return specs


def start_daphnes(hall, count, log):
    """``count`` daphne processes on the hall's database; returns (servers, stop)."""
    from tests.hallserver import start_server

    servers = []
    try:
        for _ in range(count):
            servers.append(start_server(hall.env))
    except Exception:
        for s in servers:
            s.stop()
        raise
    log(f"huitang: {count} daphne process(es) on ports {', '.join(str(s.port) for s in servers)}"
        + (" with Redis" if hall.env.redis_url else "")
        + (", PostgreSQL" if hall.env.database_url else ", SQLite"))

    def stop():
        for s in servers:
            s.stop()

    return servers, stop


def huitang_info(hall, servers, **extra):
    """What the report says about the Huitang target."""
    return {"kind": "daphne", "processes": len(servers), "prepare_s": hall.prepare_s, "meeting": hall.meeting,
            "logs": [str(hall.env.var_dir / f"server-{s.port}.log") for s in servers], **extra}


# ==== the devices' client side (worker processes) =================================================

class DeviceRecord:
    """One simulated tablet or display and what happened to its socket (times are monotonic ns).

    A spec without ``private`` (the fan-out floor's devices) has no key and cannot be challenged."""

    __slots__ = ("kind", "url", "origin", "device_id", "meeting", "key", "ws", "t_start", "t_open", "t_snapshot",
                 "attempts", "errors", "closed", "challenged")

    def __init__(self, spec):
        self.kind, self.url, self.origin = spec["kind"], spec["url"], spec["origin"]
        self.device_id, self.meeting = spec.get("device"), spec.get("meeting")
        self.key = None
        if spec.get("private"):
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            self.key = Ed25519PrivateKey.from_private_bytes(spec["private"])
        self.ws = None
        self.t_start = self.t_open = self.t_snapshot = None
        self.attempts = 0
        self.errors = []
        self.closed = None
        self.challenged = False  # answered a challenge (a paired device's connection)

    def export(self):
        return {"kind": self.kind, "device": self.device_id, "t_start": self.t_start, "t_open": self.t_open,
                "t_snapshot": self.t_snapshot, "attempts": self.attempts, "errors": self.errors[:3],
                "closed": self.closed, "challenged": self.challenged}


async def answer_challenge(ws, dev, timeout):
    """Read the socket's first message; if it is a challenge, sign it with the device's key
    (devices.crypto.auth_message) and read the next. Return the snapshot."""
    from devices.crypto import auth_message

    msg = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    if msg.get("type") == "challenge":
        if dev.key is None:
            raise RuntimeError("challenged, but the device has no key")
        signature = dev.key.sign(auth_message(dev.device_id, dev.meeting, msg["nonce"]))
        await ws.send(dumps({"type": "auth", "signature": b64(signature), "battery": 87, "charging": False}))
        dev.challenged = True
        msg = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    if msg.get("type") != "snapshot":
        raise RuntimeError(f"expected a snapshot, got {str(msg)[:200]}")
    return msg


class Swarm:
    """Many devices in one worker process: connect them with bounded concurrency (a failed attempt
    is retried ``attempts`` − 1 times), then hand every message to ``on_message``.

    Subclasses set ``record`` (a DeviceRecord subclass) and override ``on_snapshot`` (also called
    on a resync), ``on_message``, ``after_connect``, ``summary`` and ``command`` as they need."""

    record = DeviceRecord

    def __init__(self, specs, opts, channel):
        self.devices = [self.record(s) for s in specs]
        self.opts = opts
        self.channel = channel
        self.tasks = []
        self.connected = []
        self.settled = 0
        self.all_settled = asyncio.Event()

    async def connect_all(self):
        from websockets.asyncio.client import connect

        sem = asyncio.Semaphore(self.opts["concurrency"])
        timeout = self.opts["open_timeout"]

        async def one(dev):
            async with sem:
                dev.t_start = now_ns()
                for attempt in range(self.opts["attempts"]):
                    dev.attempts = attempt + 1
                    ws = None
                    try:
                        ws = await connect(dev.url, origin=dev.origin, compression=None, ping_interval=None,
                                           max_size=None, open_timeout=timeout, close_timeout=2)
                        dev.t_open = now_ns()
                        msg = await answer_challenge(ws, dev, timeout)
                        dev.t_snapshot = now_ns()
                        self.on_snapshot(dev, msg)
                        dev.ws = ws
                        break
                    except Exception as exc:  # noqa: BLE001 - every failure is reported
                        dev.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                        if ws is not None:
                            ws.transport.abort()
                        await asyncio.sleep(0.5 * (attempt + 1))
            self.settled += 1
            if self.settled == len(self.devices):
                self.all_settled.set()
            if dev.ws is not None:
                await self.listen(dev)

        self.tasks = [asyncio.create_task(one(d)) for d in self.devices]
        if not self.devices:
            self.all_settled.set()
        await self.all_settled.wait()
        self.connected = [d for d in self.devices if d.ws is not None]
        self.after_connect()

    def on_snapshot(self, dev, msg):
        pass

    def after_connect(self):
        pass

    async def listen(self, dev):
        from websockets.exceptions import ConnectionClosed

        loads, on_message = json.loads, self.on_message
        try:
            async for text in dev.ws:
                t = now_ns()
                on_message(dev, loads(text), t)
        except ConnectionClosed as exc:
            dev.closed = f"{exc.rcvd.code if exc.rcvd else None}"
        except Exception as exc:  # noqa: BLE001
            dev.errors.append(f"listen: {type(exc).__name__}: {exc}"[:300])

    def on_message(self, dev, msg, t):
        pass

    def summary(self):
        """What the worker reports once every device has connected or given up."""
        devs = self.devices
        return {
            "ok": len(self.connected), "failed": len(devs) - len(self.connected),
            "retried": sum(1 for d in devs if d.attempts > 1),
            "challenged": sum(1 for d in self.connected if d.challenged),
            "t_last_snapshot": max((d.t_snapshot for d in devs if d.t_snapshot), default=None),
            "errors": [e for d in devs for e in d.errors][:5],
        }

    def command(self, msg):
        """A scenario's own command from the main process (``connect`` and ``finish`` are common)."""

    def spawn(self, coro):
        self.tasks.append(asyncio.ensure_future(coro))

    def export(self):
        return [d.export() for d in self.devices]

    async def close_all(self):
        for dev in self.devices:
            if dev.ws is not None:
                dev.ws.transport.abort()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
