"""The floor of the meeting benchmark: the least a Python server could do for the same meeting.

A bare ``websockets`` (asyncio) server, one process, that speaks just enough of the hall
protocol (docs/protocol.md) for bench.meeting's tablets, displays and console to treat it
exactly like Huitang: the same URLs, messages and replies, the same amount of work that no
correct server can skip, and nothing else.

- ``/ws/tablet/<m>/?device=D`` and ``/ws/display/<m>/?device=D``: the challenge, the device's
  Ed25519 answer checked against its public key (``--keys``, written by the bench), then a
  ``snapshot``; ``/ws/console/<m>/``: the snapshot at once (no login).
- Every state change is committed to SQLite (WAL, ``synchronous=FULL``) on ONE database thread
  before anyone hears of it; changes that arrive while a commit is running share the next
  transaction (group commit, as Huitang's ballot intake does; ``--commit each`` makes it one
  transaction per change):
  ``signin.tap`` (a row per sign-in), ``poll.prepare``/``open``/``close``/``announce`` (the poll's
  row), and ``ballot.cast``: its signature checked over the exact bytes of
  ``voting.canonical.ballot_message``, the ballot appended to a hash-chained log (its INSERT
  committed), then the ``ok`` with the receipt.
- What the hall must hear goes out as ``event`` messages with ``seq`` and ``prev`` per view (the
  protocol's gap rule holds), each serialised once and written to every socket of its audience
  with ``websockets.broadcast``: the poll opening (one event per view: tablets, displays,
  console), sign-in figures and vote progress coalesced to at most one event every 0.3 s, the
  close, the announced result; a member's own ``signin.mine`` to their tablet only.

No Django, no ORM, no per-socket database work on connect, no audit log, no presence: a lower
bound. The garbage collector is tuned as Huitang's config/asgi.py tunes it (thresholds 50,000 /
20 / 100, startup objects frozen); with Python's defaults full collections over 3,000
connections' objects stall it for 100-300 ms now and then (``--default-gc``, ``--gc-log``). ``--no-verify`` also skips the signature checks (then it is not a correct server).

    python -m bench.meeting_floor --port 0 --db PATH --keys KEYS.json

prints ``READY <port>`` on stdout once it listens.
"""

import argparse
import asyncio
import json
import os
import secrets
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from websockets.asyncio.server import broadcast
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import add_floor_args, b64, b64decode, dumps, open_db_thread, serve_until_stopped  # noqa: E402
from devices.crypto import auth_message  # noqa: E402  (pure: no Django; what the devices sign on connect)
from voting import canonical  # noqa: E402  (pure: no Django; the bytes the tablets sign)

COALESCE_SECONDS = 0.3
AUTH_TIMEOUT = 15
CHOICES = ("for", "against", "abstain")
SCHEMA = """
    CREATE TABLE IF NOT EXISTS signin (member INTEGER PRIMARY KEY, at REAL, device TEXT, place TEXT);
    CREATE TABLE IF NOT EXISTS poll (id INTEGER PRIMARY KEY, title TEXT, item INTEGER, state TEXT,
        anonymous INTEGER, log_head TEXT, log_length INTEGER, result TEXT);
    CREATE TABLE IF NOT EXISTS ballot (poll INTEGER, position INTEGER, choice TEXT, secret_hash TEXT,
        prev_hash TEXT, entry_hash TEXT, PRIMARY KEY (poll, position), UNIQUE (poll, secret_hash));
    CREATE TABLE IF NOT EXISTS meeting (id INTEGER PRIMARY KEY, state TEXT, current_item INTEGER);
"""


class Refused(Exception):
    def __init__(self, code, message=""):
        super().__init__(code)
        self.code, self.message = code, message or code


class Client:
    __slots__ = ("ws", "view", "device", "member")

    def __init__(self, ws, view, device=None, member=None):
        self.ws, self.view, self.device, self.member = ws, view, device, member


class Floor:
    def __init__(self, db_path, keys, meeting, verify=True, group_commit=True):
        self.meeting_id = meeting["id"]
        self.meeting = meeting  # {id, title, agenda: [{id, order, title, kind}], entitled}
        self.entitled = meeting["entitled"]
        self.keys = {}
        for device_id, spec in keys.items():
            self.keys[device_id] = {
                "kind": spec["kind"], "member": spec.get("member"), "seat": spec.get("seat"),
                "key": Ed25519PublicKey.from_public_bytes(b64decode(spec["public_key"])),
            }
        self.verify = verify
        self.group_commit = group_commit
        self.queue = []
        self.writing = False
        self.commits = 0
        # The stream: one seq for the meeting, the head of each view (and of each member's view).
        self.seq = 0
        self.heads = {"tablet": 0, "display": 0, "console": 0}
        self.member_heads = {}
        self.by_view = {"tablet": set(), "display": set(), "console": set()}
        self.by_member = {}
        # The state.
        self.meeting_state = "scheduled"
        self.current_item = None
        self.window = "not_started"
        self.signed_in = set()
        self.signing = set()
        self.polls = {}
        self.shown_poll = None
        self.dirty = set()  # coalesced summaries waiting: "attendance", ("progress", poll)
        # Storage: one thread, one connection, every write its own transaction.
        self.executor, self.db = open_db_thread(db_path, SCHEMA)

    # ---- storage (on the one DB thread) ----------------------------------------------------

    def _tx(self, statements):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in statements:
                self.db.execute(sql, params)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _tally_rows(self, poll_id):
        return self.db.execute("SELECT choice, count(*) FROM ballot WHERE poll=? GROUP BY choice",
                               (poll_id,)).fetchall()

    def _tx_group(self, groups):
        """Several changes in one transaction (group commit); each change's statements all or none."""
        self.db.execute("BEGIN IMMEDIATE")
        outcomes = []
        try:
            for statements in groups:
                self.db.execute("SAVEPOINT one")
                try:
                    for sql, params in statements:
                        self.db.execute(sql, params)
                    self.db.execute("RELEASE one")
                    outcomes.append(None)
                except sqlite3.Error as error:
                    self.db.execute("ROLLBACK TO one")
                    self.db.execute("RELEASE one")
                    outcomes.append(error)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return outcomes

    async def commit(self, *statements):
        """Durably store one change; return once it is committed (synchronous=FULL).

        ``--commit each``: one transaction per change, one after the other. ``--commit group``
        (default): changes that arrive while a commit is running wait for the next one, which
        takes them all, so a burst of 3,000 ballots costs a few dozen fsyncs, not 3,000."""
        loop = asyncio.get_running_loop()
        if not self.group_commit:
            await loop.run_in_executor(self.executor, self._tx, statements)
            return
        future = loop.create_future()
        self.queue.append((statements, future))
        if not self.writing:
            self.writing = True
            loop.create_task(self._write())
        await future

    async def _write(self):
        loop = asyncio.get_running_loop()
        try:
            while self.queue:
                batch, self.queue = self.queue, []
                try:
                    outcomes = await loop.run_in_executor(self.executor, self._tx_group, [s for s, _ in batch])
                except Exception as error:  # noqa: BLE001 - the whole group failed
                    outcomes = [error] * len(batch)
                for (_, future), outcome in zip(batch, outcomes):
                    if outcome is None:
                        future.set_result(None)
                    else:
                        future.set_exception(outcome)
                self.commits += 1
        finally:
            self.writing = False

    async def on_db(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    # ---- the stream -------------------------------------------------------------------------

    VIEWS_OF = {"all": ("tablet", "display", "console"), "tablets": ("tablet",), "displays": ("display",),
                "console": ("console",)}

    def publish(self, kind, data, audience, member=None):
        self.seq += 1
        seq = self.seq
        if audience == "member":
            prev = {"member": self.member_heads.get(member, 0)}
            self.member_heads[member] = seq
            targets = [c.ws for c in self.by_member.get(member, ())]
        else:
            views = self.VIEWS_OF[audience]
            prev = {v: self.heads[v] for v in views}
            for v in views:
                self.heads[v] = seq
            targets = [c.ws for v in views for c in self.by_view[v]]
        text = dumps({"type": "event", "seq": seq, "kind": kind, "prev": prev, "data": data})
        broadcast(targets, text)

    def publish_by_view(self, kind, by_view):
        values = list(by_view.values())
        if len(by_view) == 3 and all(v == values[0] for v in values):
            self.publish(kind, values[0], "all")
            return
        audience = {"tablet": "tablets", "display": "displays", "console": "console"}
        for view, data in by_view.items():
            self.publish(kind, data, audience[view])

    def touch(self, key):
        if key in self.dirty:
            return
        self.dirty.add(key)
        asyncio.get_running_loop().call_later(COALESCE_SECONDS, self._flush, key)

    def _flush(self, key):
        self.dirty.discard(key)
        # As Huitang: the figures go to the screens and the console, not to the tablets.
        if key == "attendance":
            seats = sorted(self.keys[c.device]["seat"] or 0 for c in self.by_view["tablet"]
                           if c.member in self.signed_in)
            data = {"attendance": self.attendance(), "present_seats": seats}
            self.publish_by_view("signin.attendance", {"display": data, "console": data})
        elif key[0] == "progress":
            poll = self.polls.get(key[1])
            if poll is not None and poll["state"] == "open":
                data = {"poll_progress": self.progress(poll)}
                self.publish_by_view("poll.progress", {"display": data, "console": data})

    # ---- state parts --------------------------------------------------------------------------

    def attendance(self):
        present = len(self.signed_in)
        needed = -(-2 * self.entitled // 3)
        return {"entitled": self.entitled, "present": present, "leave": 0,
                "absent": self.entitled - present, "attendees": 0,
                "quorum": {"reached": present >= needed, "needed": needed,
                           "rule_label": "须有全体代表的三分之二以上出席"},
                "window": {"state": self.window, "state_label": self.window, "opened_at": None,
                           "closed_at": None}}

    def meeting_part(self):
        return {"id": self.meeting_id, "title": self.meeting.get("title", ""), "kind": "plenary",
                "state": self.meeting_state, "state_label": self.meeting_state}

    def poll_public(self, poll, with_result):
        if poll is None:
            return None
        return {"id": poll["id"], "title": poll["title"], "kind": "motion", "agenda_item": poll["item"],
                "nominees": [], "state": poll["state"], "state_label": poll["state"],
                "anonymous": poll["anonymous"], "allow_change": False, "countdown_seconds": None,
                "opened_at": poll.get("opened_at"), "closes_at": None, "remaining_at_pause": None,
                "threshold": "以全体代表的过半数通过",
                "result": poll["result"] if with_result else None}

    def progress(self, poll):
        return {"poll": poll["id"], "voted": len(poll["voted"]), "signed_in": len(self.signed_in),
                "entitled": self.entitled}

    def poll_list(self):
        return [{"id": p["id"], "title": p["title"], "kind": "motion", "state": p["state"],
                 "agenda_item": p["item"], "anonymous": p["anonymous"],
                 "passed": (p["result"] or {}).get("passed")} for p in self.polls.values()]

    def snapshot(self, client):
        view = client.view
        poll = self.shown_poll
        state = {
            "meeting": self.meeting_part(), "agenda": self.meeting.get("agenda", []),
            "current_item": self.current_item, "display": {"mode": "welcome", "text": ""},
            "attendance": self.attendance() if view != "tablet" else {"window": self.attendance()["window"]},
            "poll": self.poll_public(poll, poll is not None and (poll["state"] == "announced"
                                                                 or view == "console")),
            "poll_progress": self.progress(poll) if poll else None,
        }
        heads = {view: self.heads[view]}
        if view == "tablet" and client.member is not None:
            heads["member"] = self.member_heads.get(client.member, 0)
            state["my_attendance"] = {"status": "signed_in" if client.member in self.signed_in
                                      else "not_signed_in"}
            state["my_vote"] = ({"poll": poll["id"], "voted": client.member in poll["voted"]}
                                if poll else None)
        if view == "console":
            state["polls"] = self.poll_list()
        snap = {"type": "snapshot", "seq": self.seq, "heads": heads, "state": state}
        if client.device is not None:
            snap["device"] = {"id": client.device, "seat": self.keys[client.device]["seat"],
                              "bound": client.member}
        return snap

    # ---- connections --------------------------------------------------------------------------

    async def handler(self, ws):
        url = urlsplit(ws.request.path)
        parts = [p for p in url.path.split("/") if p]
        view = parts[1] if len(parts) >= 3 and parts[0] == "ws" else None
        if view not in ("tablet", "display", "console"):
            await ws.close(4404)
            return
        client = Client(ws, view)
        try:
            if view != "console":
                device = (parse_qs(url.query).get("device") or [None])[0]
                if not await self.authenticate(client, device):
                    return
            # Registered and snapshot queued in one step: no broadcast can fall between them.
            self.by_view[view].add(client)
            if client.member is not None:
                self.by_member.setdefault(client.member, set()).add(client)
            await ws.send(dumps(self.snapshot(client)))
            async for text in ws:
                await self.on_message(client, text)
        except ConnectionClosed:
            pass
        finally:
            self.by_view[view].discard(client)
            if client.member is not None:
                members = self.by_member.get(client.member)
                if members is not None:
                    members.discard(client)

    async def authenticate(self, client, device):
        spec = self.keys.get(device)
        if spec is None or spec["kind"] != client.view:
            await self.refuse(client.ws, "unknown_device" if spec is None else "wrong_role")
            return False
        nonce = b64(secrets.token_bytes(32))
        await client.ws.send(dumps({"type": "challenge", "nonce": nonce, "meeting": self.meeting_id}))
        try:
            answer = json.loads(await asyncio.wait_for(client.ws.recv(), AUTH_TIMEOUT))
        except (asyncio.TimeoutError, ValueError):
            await self.refuse(client.ws, "auth_timeout")
            return False
        if self.verify:
            message = auth_message(device, self.meeting_id, nonce)
            try:
                spec["key"].verify(b64decode(str(answer.get("signature", ""))), message)
            except (InvalidSignature, ValueError):
                await self.refuse(client.ws, "bad_signature")
                return False
        client.device, client.member = device, spec["member"]
        return True

    async def refuse(self, ws, code):
        await ws.send(dumps({"type": "error", "id": None, "code": code, "message": code}))
        await ws.close(4403)

    # ---- requests -----------------------------------------------------------------------------

    async def on_message(self, client, text):
        try:
            message = json.loads(text)
            kind, request_id = message["type"], message.get("id")
        except (ValueError, KeyError, TypeError):
            await client.ws.send(dumps({"type": "error", "id": None, "code": "malformed", "message": "bad"}))
            return
        handler = self.HANDLERS.get((client.view, kind)) or self.HANDLERS.get(("*", kind))
        try:
            if handler is None:
                raise Refused("unknown_type")
            extra = await handler(self, client, message)
        except Refused as refused:
            await client.ws.send(dumps({"type": "error", "id": request_id, "code": refused.code,
                                        "message": refused.message}))
            return
        await client.ws.send(dumps({"type": "ok", "id": request_id, **(extra or {})}))

    async def on_ping(self, client, message):
        return {"pong": True}

    async def on_signin_open(self, client, message):
        if self.window == "open":
            raise Refused("signin_already_open")
        self.window = "open"
        figures = self.attendance()
        self.publish_by_view("signin.window", {"display": {"attendance": figures}, "console": {"attendance": figures},
                                               "tablet": {"attendance": {"window": figures["window"]}}})

    async def on_tap(self, client, message):
        member = client.member
        if member is None:
            raise Refused("not_bound")
        if self.window == "not_started":
            raise Refused("signin_not_started")
        seat = self.keys[client.device]["seat"]
        reply = {"member": {"id": member, "seat": seat}}
        if member in self.signed_in or member in self.signing:
            return {"already": True, **reply, "signin": {"status": "signed_in", "method": "seat"}}
        self.signing.add(member)
        at = time.time()
        await self.commit(("INSERT INTO signin (member, at, device, place) VALUES (?, ?, ?, ?)",
                           (member, at, client.device, str(seat))))
        self.signing.discard(member)
        self.signed_in.add(member)
        mine = {"status": "signed_in", "method": "seat", "place": str(seat), "at": at, "late": False}
        self.publish("signin.mine", {"my_attendance": mine}, "member", member=member)
        self.touch("attendance")
        return {"already": False, **reply, "signin": mine}

    async def on_meeting_open(self, client, message):
        if self.meeting_state == "open":
            raise Refused("already_open")
        await self.commit(("INSERT OR REPLACE INTO meeting (id, state, current_item) VALUES (?, 'open', ?)",
                           (self.meeting_id, self.current_item)))
        self.meeting_state = "open"
        self.publish("meeting.state", {"meeting": self.meeting_part()}, "all")

    async def on_set_current(self, client, message):
        item = message.get("item")
        if self.meeting_state != "open":
            raise Refused("not_open")
        await self.commit(("UPDATE meeting SET current_item=? WHERE id=?", (item, self.meeting_id)))
        self.current_item = item
        self.publish("agenda.current", {"current_item": item}, "all")

    async def on_poll_prepare(self, client, message):
        item = message.get("item")
        title = message.get("title") or next(
            (a["title"] for a in self.meeting.get("agenda", []) if a["id"] == item), "表决")
        poll_id = len(self.polls) + 1
        anonymous = bool(message.get("anonymous", True))
        await self.commit(("INSERT INTO poll (id, title, item, state, anonymous, log_head, log_length) "
                           "VALUES (?, ?, ?, 'prepared', ?, '', 0)", (poll_id, title, item, int(anonymous))))
        self.polls[poll_id] = {"id": poll_id, "title": title, "item": item, "state": "prepared",
                               "anonymous": anonymous, "voted": set(), "secrets": {}, "length": 0,
                               "head": canonical.genesis_hash(self.meeting_id, poll_id), "result": None}
        self.publish("poll.prepared", {"polls": self.poll_list()}, "console")
        return {"poll": poll_id}

    def _poll(self, message):
        poll = self.polls.get(message.get("poll"))
        if poll is None:
            raise Refused("no_poll")
        return poll

    def _publish_poll(self, poll, fresh=False):
        shown = self.shown_poll
        progress = self.progress(shown)
        announced = shown["state"] == "announced"
        tablet = {"poll": self.poll_public(shown, announced), "poll_progress": progress}
        if fresh:
            tablet["my_vote"] = {"poll": shown["id"], "voted": False}
        display = {"poll": self.poll_public(shown, announced), "poll_progress": progress}
        console = {"poll": self.poll_public(shown, shown["result"] is not None), "poll_progress": progress,
                   "polls": self.poll_list(), "not_voted": None}
        self.publish_by_view("poll.changed", {"tablet": tablet, "display": display, "console": console})

    async def on_poll_open(self, client, message):
        poll = self._poll(message)
        if poll["state"] != "prepared":
            raise Refused("not_prepared")
        if self.meeting_state != "open":
            raise Refused("meeting_not_open")
        if any(p["state"] == "open" for p in self.polls.values()):
            raise Refused("another_open")
        if not self.attendance()["quorum"]["reached"]:
            raise Refused("no_quorum")
        await self.commit(("UPDATE poll SET state='open' WHERE id=?", (poll["id"],)))
        poll["state"] = "open"
        poll["opened_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        self.shown_poll = poll
        self._publish_poll(poll, fresh=True)

    async def on_ballot(self, client, message):
        poll_id, secret_hash = message.get("poll"), message.get("secret_hash")
        choice, signature = message.get("choice"), message.get("signature")
        if not isinstance(poll_id, int) or not isinstance(secret_hash, str) or len(secret_hash) != 64:
            raise Refused("bad_request")
        if choice not in CHOICES:
            raise Refused("bad_choice")
        if client.member is None:
            raise Refused("not_bound")
        poll = self.polls.get(poll_id)
        if poll is None:
            raise Refused("no_poll")
        if self.verify:
            signed = canonical.ballot_message(self.meeting_id, poll_id, secret_hash, choice)
            try:
                self.keys[client.device]["key"].verify(b64decode(str(signature)), signed)
            except (InvalidSignature, ValueError):
                raise Refused("bad_signature") from None
        same = poll["secrets"].get(secret_hash)
        if same is not None:
            if same[0] != choice:
                raise Refused("already_voted")
            await same[2]  # the first sending's commit
            return {"receipt": same[1], "patch": {"my_vote": {"poll": poll_id, "voted": True}}}
        if poll["state"] != "open":
            raise Refused("poll_closed")
        if client.member not in self.signed_in:
            raise Refused("not_signed_in")
        if client.member in poll["voted"]:
            raise Refused("already_voted")
        # Position and chain taken on the loop, in order; the commit follows on the DB thread.
        poll["voted"].add(client.member)
        poll["length"] += 1
        position, prev = poll["length"], poll["head"]
        entry = canonical.entry_hash(poll_id, position, prev, choice, secret_hash)
        poll["head"] = entry
        receipt = {"poll": poll_id, "position": position, "entry_hash": entry}
        done = asyncio.get_running_loop().create_future()
        poll["secrets"][secret_hash] = (choice, receipt, done)
        try:
            await self.commit(
                ("INSERT INTO ballot (poll, position, choice, secret_hash, prev_hash, entry_hash) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (poll_id, position, choice, secret_hash, prev, entry)),
                ("UPDATE poll SET log_head=?, log_length=? WHERE id=?", (entry, position, poll_id)),
            )
        finally:
            done.set_result(None)
        self.touch(("progress", poll_id))
        return {"receipt": receipt, "patch": {"my_vote": {"poll": poll_id, "voted": True}}}

    async def on_poll_close(self, client, message):
        poll = self._poll(message)
        if poll["state"] != "open":
            raise Refused("not_open")
        poll["state"] = "closing"  # no ballot is accepted from here on
        rows = dict(await self.on_db(self._tally_rows, poll["id"]))
        counts = {c: rows.get(c, 0) for c in CHOICES}
        cast = sum(counts.values())
        required = self.entitled // 2 + 1
        result = {**counts, "not_voted": len(self.signed_in) - cast, "cast": cast,
                  "signed_in": len(self.signed_in), "entitled": self.entitled,
                  "passed": counts["for"] >= required, "required": required,
                  "rule": "以全体代表的过半数通过", "hand_counted": False}
        await self.commit(("UPDATE poll SET state='closed', result=? WHERE id=?",
                           (dumps(result), poll["id"])))
        poll["state"], poll["result"] = "closed", result
        self._publish_poll(poll)

    async def on_poll_announce(self, client, message):
        poll = self._poll(message)
        if poll["state"] != "closed":
            raise Refused("not_closed")
        await self.commit(("UPDATE poll SET state='announced' WHERE id=?", (poll["id"],)))
        poll["state"] = "announced"
        self._publish_poll(poll)

    HANDLERS = {
        ("*", "ping"): on_ping,
        ("console", "signin.open"): on_signin_open,
        ("tablet", "signin.tap"): on_tap,
        ("console", "meeting.open"): on_meeting_open,
        ("console", "agenda.set_current"): on_set_current,
        ("console", "poll.prepare"): on_poll_prepare,
        ("console", "poll.open"): on_poll_open,
        ("tablet", "ballot.cast"): on_ballot,
        ("console", "poll.close"): on_poll_close,
        ("console", "poll.announce"): on_poll_announce,
    }


def log_gc_pauses(threshold_s=0.02):
    """Print every garbage collection that takes longer than ``threshold_s`` (stderr)."""
    import gc

    started = {}

    def callback(phase, info):
        if phase == "start":
            started["t"] = time.perf_counter()
        elif "t" in started:
            took = time.perf_counter() - started.pop("t")
            if took >= threshold_s:
                print(f"floor: gc generation {info['generation']} took {took * 1000:.0f} ms "
                      f"({info['collected']} collected)", file=sys.stderr, flush=True)

    gc.callbacks.append(callback)


async def amain(args):
    if not args.default_gc:
        # The same collector settings as Huitang's config/asgi.py, so neither server pays full
        # collections over thousands of connections' objects that the other does not.
        import gc

        gc.set_threshold(50_000, 20, 100)
        gc.freeze()
    if args.gc_log:
        log_gc_pauses()
    db_path = args.db or os.path.join(tempfile.mkdtemp(prefix="meeting-floor-"), "floor.sqlite3")
    spec = json.loads(Path(args.keys).read_text(encoding="utf-8"))
    floor = Floor(db_path, spec["devices"], spec["meeting"], verify=not args.no_verify,
                  group_commit=args.commit == "group")
    await serve_until_stopped(floor.handler, args.host, args.port, args.backlog)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.meeting_floor", description=__doc__.split("\n\n")[0])
    add_floor_args(parser, port=8766)
    parser.add_argument("--keys", required=True,
                        help='JSON {"meeting": {id, title, agenda, entitled}, "devices": {id: {kind, public_key, '
                             'member, seat}}}')
    parser.add_argument("--no-verify", action="store_true", help="skip the Ed25519 checks (auth and ballots)")
    parser.add_argument("--commit", choices=("group", "each"), default="group",
                        help="group: changes arriving during a commit share the next one (default); "
                             "each: one transaction per change, in turn")
    parser.add_argument("--default-gc", action="store_true",
                        help="keep Python's collector thresholds (default: Huitang's, from config/asgi.py)")
    parser.add_argument("--gc-log", action="store_true", help="print garbage collections longer than 20 ms")
    args = parser.parse_args(argv)
    asyncio.run(amain(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
