"""A test client that speaks docs/protocol.md over a real socket and checks the gap rule."""

import asyncio
import json

from websockets.asyncio.client import connect

from meeting.snapshot import apply_event


class ProtocolViolation(AssertionError):
    pass


class HallClient:
    def __init__(self, ws, member_id=None):
        self.ws = ws
        self.member_id = member_id
        self.state = None
        self.seq = 0
        self.last = {}
        self.events = []  # every event applied, in order
        self.replies = {}
        self.other = []  # errors without an id, unexpected messages
        self.presence = None

    @classmethod
    async def open(cls, server, kind, meeting_id, cookie=None, member_id=None, origin=None, query=""):
        """Open a socket without answering anything: the console (``cookie``), or a refusal test.
        Paired tablets and displays connect with open_device."""
        url = f"{server.ws_base}/ws/{kind}/{meeting_id}/" + (f"?{query}" if query else "")
        headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
        ws = await connect(url, origin=origin or server.base, additional_headers=headers,
                           compression=None, open_timeout=10)
        client = cls(ws, member_id)
        return client

    async def recv(self, timeout=5.0):
        """The next message, passing over console presence updates (they are kept in .presence)."""
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message.get("type") != "presence":
                return message
            self.presence = message

    @classmethod
    async def open_device(cls, server, kind, meeting_id, key, member_id=None, signature=None):
        """Connect as a paired device and answer the challenge (or send ``signature`` instead)."""
        url = f"{server.ws_base}/ws/{kind}/{meeting_id}/?device={key.device_id}"
        ws = await connect(url, origin=server.base, compression=None, open_timeout=10)
        client = cls(ws, member_id)
        challenge = await client.recv()
        if challenge.get("type") != "challenge":
            raise ProtocolViolation(f"expected a challenge, got {challenge}")
        client.nonce = challenge["nonce"]
        await ws.send(json.dumps({"type": "auth", "signature": signature or key.auth_signature(meeting_id, client.nonce),
                                  "battery": 87, "charging": False}))
        return client

    async def start(self):
        """Read the first message, which must be the snapshot."""
        message = await self.recv()
        if message.get("type") != "snapshot":
            raise ProtocolViolation(f"expected snapshot first, got {message}")
        self._take_snapshot(message)
        return message

    def _take_snapshot(self, message):
        self.state = message["state"]
        self.device = message.get("device")
        self.seq = message["seq"]
        self.last = dict(message["heads"])

    def handle(self, message):
        kind = message.get("type")
        if kind == "snapshot":
            self._take_snapshot(message)
        elif kind == "event":
            keys = [k for k in self.last if k in message["prev"]]
            if not keys:
                raise ProtocolViolation(f"received an event not addressed to this client: {message}")
            for k in keys:
                if message["seq"] <= self.last[k]:
                    raise ProtocolViolation(f"duplicate event {message['seq']}")
                if message["prev"][k] != self.last[k]:
                    raise ProtocolViolation(f"gap in {k}: prev {message['prev'][k]} but last {self.last[k]}")
                self.last[k] = message["seq"]
            self.state = apply_event(self.state, message["data"])
            self.seq = message["seq"]
            self.events.append(message)
        elif kind == "presence":
            self.presence = message
        elif kind in ("ok", "error") and message.get("id") is not None:
            self.replies[message["id"]] = message
        else:
            self.other.append(message)
        return message

    async def pump_until(self, predicate, timeout=5.0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            message = await self.recv(timeout=max(0.01, deadline - loop.time()))
            self.handle(message)

    async def request(self, type_, rid, **fields):
        await self.ws.send(json.dumps({"type": type_, "id": rid, **fields}))
        await self.pump_until(lambda c: rid in c.replies)
        return self.replies[rid]

    async def wait_event(self, kind, timeout=5.0):
        await self.pump_until(lambda c: any(e["kind"] == kind for e in c.events), timeout)

    async def assert_silent(self, seconds=0.3):
        """Nothing arrives for a while (used to prove an event was not addressed here)."""
        try:
            message = await self.recv(timeout=seconds)
        except asyncio.TimeoutError:
            return
        raise ProtocolViolation(f"unexpected message {message}")

    async def close(self):
        await self.ws.close()
