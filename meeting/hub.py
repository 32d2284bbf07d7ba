"""In-process fan-out of a meeting's events to the sockets connected to this process.

The stock InMemoryChannelLayer scans every group member on every receive, which takes seconds
for a hall of 3,000; here each event is serialised once (meeting.events.to_wire) and written
straight to each connection's ASGI send, in sequence order, on the server's event loop.

With REDIS_URL set, committed events go to Redis pub/sub and every process's hub delivers them
to its own sockets, so an event published in one process reaches clients of all of them.
Either way the stream is also in the database, and a hub that sees a gap in the sequence
(a lost or reordered message) reads the missing events from there before going on.
"""

import asyncio
import contextvars
import json
import logging
import threading

from django.conf import settings

log = logging.getLogger(__name__)

REDIS_CHANNEL_PREFIX = "huitang:events:"
REDIS_CONTROL_CHANNEL = "huitang:events:control"
# How long an out-of-order event waits for the ones before it before they are read from the DB.
GAP_WAIT_SECONDS = 0.25


class Connection:
    """What the hub needs of a socket: its views and a way to send it text."""

    __slots__ = ("meeting_id", "view", "member_id", "send_text", "buffer", "ready_after", "device_id", "on_control")

    def __init__(self, meeting_id, view, member_id, send_text, device_id=None, on_control=None):
        self.meeting_id = meeting_id
        self.view = view  # "tablet" | "display" | "console"
        self.member_id = member_id
        self.send_text = send_text  # async callable(text)
        self.device_id = device_id  # str, for devices: the target of revoke/rebind controls
        self.on_control = on_control  # async callable(action)
        # Events that arrive before the connection's snapshot is sent wait here.
        self.buffer = []
        self.ready_after = None  # the snapshot's seq once sent; None while the snapshot is built


class Room:
    def __init__(self, meeting_id):
        self.meeting_id = meeting_id
        self.by_view = {"tablet": set(), "display": set(), "console": set()}
        self.by_member = {}
        self.delivered = None  # seq of the last event delivered in order
        self.pending = {}
        self.gap_task = None
        # One drain at a time, so no socket ever gets seq n+1 before seq n.
        self.lock = asyncio.Lock()

    def targets(self, audience, member_id):
        if audience == "all":
            return (*self.by_view["tablet"], *self.by_view["display"], *self.by_view["console"])
        if audience == "tablets":
            return tuple(self.by_view["tablet"])
        if audience == "displays":
            return tuple(self.by_view["display"])
        if audience == "console":
            return tuple(self.by_view["console"])
        if audience == "member":
            return tuple(self.by_member.get(member_id, ()))
        return ()

    def is_empty(self):
        return not any(self.by_view.values())


class Hub:
    def __init__(self):
        self.rooms = {}
        self.devices = {}  # device id -> set of connections (normally one)
        self.loop = None
        self._redis_task = None
        self._redis = None
        self._lock = threading.Lock()

    # ---- connections -------------------------------------------------------------------

    def attach(self, conn):
        self._bind_loop()
        room = self.rooms.get(conn.meeting_id)
        if room is None:
            room = self.rooms[conn.meeting_id] = Room(conn.meeting_id)
        room.by_view[conn.view].add(conn)
        if conn.member_id is not None:
            room.by_member.setdefault(conn.member_id, set()).add(conn)
        if conn.device_id is not None:
            self.devices.setdefault(conn.device_id, set()).add(conn)

    def detach(self, conn):
        if conn.device_id is not None:
            conns = self.devices.get(conn.device_id)
            if conns is not None:
                conns.discard(conn)
                if not conns:
                    del self.devices[conn.device_id]
        room = self.rooms.get(conn.meeting_id)
        if room is None:
            return
        room.by_view[conn.view].discard(conn)
        if conn.member_id is not None:
            members = room.by_member.get(conn.member_id)
            if members is not None:
                members.discard(conn)
                if not members:
                    del room.by_member[conn.member_id]
        if room.is_empty():
            if room.gap_task:
                room.gap_task.cancel()
            del self.rooms[conn.meeting_id]

    async def mark_ready(self, conn, snapshot_seq):
        """The snapshot at ``snapshot_seq`` has been sent: send what queued behind it, then go live."""
        conn.ready_after = snapshot_seq
        buffered, conn.buffer = conn.buffer, []
        for seq, text in buffered:
            if seq > snapshot_seq:
                await conn.send_text(text)

    def connection_count(self, meeting_id=None):
        rooms = [self.rooms.get(meeting_id)] if meeting_id is not None else self.rooms.values()
        return sum(len(c) for r in rooms if r for c in r.by_view.values())

    # ---- delivery ----------------------------------------------------------------------

    def deliver_threadsafe(self, wire):
        """Called after commit, from whatever thread ran the service."""
        if settings.REDIS_URL:
            self._publish_redis(wire)
        else:
            self._run_on_loop(self.deliver, wire)

    def _run_on_loop(self, coroutine_fn, *args):
        loop = self.loop
        if loop is None or loop.is_closed():
            return  # no socket has ever connected to this process: nobody to tell
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        # A fresh context: the caller's (a service's sync thread) carries asgiref's marker of that
        # thread, and a task inheriting it could not call back into the database ("would deadlock").
        if running is loop:
            loop.create_task(coroutine_fn(*args), context=contextvars.Context())
        else:
            loop.call_soon_threadsafe(lambda: loop.create_task(coroutine_fn(*args), context=contextvars.Context()))

    async def deliver(self, wire):
        room = self.rooms.get(wire["meeting"])
        if room is None:
            return
        seq = wire["seq"]
        if room.delivered is None:
            room.delivered = seq - 1
        if seq <= room.delivered or seq in room.pending:
            return  # already delivered (e.g. read from the DB while filling a gap)
        room.pending[seq] = wire
        async with room.lock:
            await self._drain(room)
        if room.pending and (room.gap_task is None or room.gap_task.done()):
            room.gap_task = asyncio.get_running_loop().create_task(self._fill_gap(room))

    async def _drain(self, room):
        while room.delivered + 1 in room.pending:
            wire = room.pending.pop(room.delivered + 1)
            room.delivered = wire["seq"]
            await self._send_to_room(room, wire)

    async def _send_to_room(self, room, wire):
        text = wire["text"]
        seq = wire["seq"]
        for conn in room.targets(wire["audience"], wire["member"]):
            if conn.ready_after is None:
                conn.buffer.append((seq, text))
            elif seq > conn.ready_after:
                try:
                    await conn.send_text(text)
                except Exception:  # a socket that died mid-send is detached by its consumer
                    log.debug("send failed", exc_info=True)

    async def _fill_gap(self, room):
        from asgiref.sync import sync_to_async

        from .events import events_since

        await asyncio.sleep(GAP_WAIT_SECONDS)
        if not room.pending or self.rooms.get(room.meeting_id) is not room:
            return
        upto = max(room.pending)
        missing = await sync_to_async(events_since, thread_sensitive=False)(
            room.meeting_id, room.delivered, upto
        )
        async with room.lock:
            for wire in missing:
                if wire["seq"] > room.delivered:
                    room.pending.setdefault(wire["seq"], wire)
            await self._drain(room)
            if room.pending:  # the DB does not have them either: skip; clients resync on the gap
                log.warning("meeting %s: events missing before %s", room.meeting_id, min(room.pending))
                room.delivered = min(room.pending) - 1
                await self._drain(room)

    # ---- controls: a device's sockets must react (revoked, member moved) ------------------------

    def control_threadsafe(self, device_id, action):
        if settings.REDIS_URL:
            self._publish_redis_raw(REDIS_CONTROL_CHANNEL, {"device": device_id, "action": action})
        else:
            self._run_on_loop(self.control, device_id, action)

    async def control(self, device_id, action):
        for conn in tuple(self.devices.get(device_id, ())):
            if conn.on_control is not None:
                try:
                    await conn.on_control(action)
                except Exception:
                    log.warning("control %s for %s failed", action, device_id, exc_info=True)

    # ---- the event loop and Redis --------------------------------------------------------

    def _bind_loop(self):
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop = loop
            self.rooms = {}
            self.devices = {}
            if settings.REDIS_URL:
                self._redis_task = loop.create_task(self._listen_redis())

    def _publish_redis(self, wire):
        self._publish_redis_raw(f"{REDIS_CHANNEL_PREFIX}{wire['meeting']}", wire)

    def _publish_redis_raw(self, channel, payload):
        import redis

        with self._lock:
            if self._redis is None:
                self._redis = redis.Redis.from_url(settings.REDIS_URL)
            client = self._redis
        client.publish(channel, json.dumps(payload, ensure_ascii=False))

    async def _listen_redis(self):
        import redis.asyncio as aioredis

        while True:
            try:
                client = aioredis.Redis.from_url(settings.REDIS_URL)
                pubsub = client.pubsub()
                await pubsub.psubscribe(f"{REDIS_CHANNEL_PREFIX}*")
                async for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    try:
                        payload = json.loads(message["data"])
                    except ValueError:
                        continue
                    if message["channel"] == REDIS_CONTROL_CHANNEL.encode():
                        await self.control(payload["device"], payload["action"])
                    else:
                        await self.deliver(payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A lost Redis connection: reconnect; the gap filler recovers what was missed.
                log.warning("redis subscription lost; reconnecting", exc_info=True)
                await asyncio.sleep(0.5)


hub = Hub()
