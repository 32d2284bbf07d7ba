"""The three sockets. They authenticate, hand out snapshots, relay the stream from the hub and
turn client requests into service calls; no rule lives here.

Every client message is a JSON object with a "type" and an optional "id" that the reply echoes.
Anything else gets an error reply and changes nothing; the socket stays open.
"""

import asyncio
import json
import logging
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from config.middleware import language_of_scope

from devices import presence
from devices.console_view import device_rows
from devices import services as devices
from meeting import access

from . import fastsend
from .handlers import registry  # noqa: F401  (imports every handler module)
from meeting.errors import ServiceError
from meeting.hub import Connection, hub
from meeting.batching import Batcher
from meeting.snapshot import snapshots
from meeting.wire import dumps

log = logging.getLogger(__name__)

def server_now_ms():
    """The server's clock for the client's countdowns (a tablet's or a hall screen's own clock may
    be minutes off): in every snapshot and every pong, as milliseconds since the epoch."""
    return int(time.time() * 1000)


# Close codes (4000-4999 are the application's): the reason text goes in an error message first.
CLOSE_REFUSED = 4403


class HallSocket(AsyncWebsocketConsumer):
    view = None  # "tablet" | "display" | "console"
    # type -> method name; each role lists what it may ask for once connected.
    handlers = {"ping": "on_ping", "resync": "on_resync"}
    device_id = None
    pre_auth_handlers = {}

    async def dispatch(self, message):
        # Channels' AsyncConsumer.dispatch awaits aclose_old_connections() before EVERY message: a
        # hop to asgiref's single sync thread (where database_sync_to_async runs) just to call
        # close_old_connections() there. For us that hop is redundant: every database call of ours
        # goes through database_sync_to_async, which runs close_old_connections() in that same
        # thread before and after the call itself (or, for the ballot intake's group commit and
        # the hub's gap filler, in threads this hop never reached anyway), and Channels'
        # websocket_disconnect calls aclose_old_connections() itself. In a 3,000-ballot burst the
        # hop was ≈ 5 % of the server's CPU plus the executor hand-off, and it queued each ballot
        # behind the sync thread's other work; while 3,000 tablets connect it was ≈ 5 % of the
        # event loop's time (docs/performance.md).
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.conn = None
        self.challenge = None
        # Error messages follow the page's language choice; state labels stay Chinese and
        # clients translate them from their codes (the shared snapshot is built once for all).
        self.language = language_of_scope(self.scope)
        await self.accept()
        try:
            self.meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
            with translation.override(self.language):
                await self.begin()
        except ServiceError as refused:
            await self.refuse(refused)

    async def begin(self):
        """Authenticate what the handshake carries and go live, or send a challenge first."""
        self.member_id = await database_sync_to_async(self.authorize)()
        await self.go_live()

    def authorize(self):
        """Return the member id this socket acts for (or None); raise ServiceError to refuse."""
        raise NotImplementedError

    async def refuse(self, refused):
        await self.send_json({"type": "error", "id": None, "code": refused.code, "message": refused.message})
        await self.close(code=CLOSE_REFUSED)

    async def go_live(self):
        self.conn = Connection(self.meeting_id, self.view, self.member_id, self._send_text,
                               device_id=self.device_id, on_control=self.on_control)
        hub.attach(self.conn)
        await self.send_snapshot()

    async def on_control(self, action):
        """The hub tells a device's sockets that its standing changed; see devices.services."""

    async def disconnect(self, code):
        if self.conn is not None:
            hub.detach(self.conn)
            self.conn = None

    _daphne = False  # daphne's protocol behind this socket once looked up; None: not served by daphne

    async def _send_text(self, text):
        # The hub's write of one event (to 3,000 sockets in a row): under daphne the frame is
        # built once for all of them and goes straight to each socket (consoles/fastsend.py);
        # otherwise to the ASGI send (AsyncWebsocketConsumer.send/AsyncConsumer.send add nothing).
        protocol = self._daphne
        if protocol is False:
            protocol = self._daphne = fastsend.daphne_protocol(self.base_send)
        if protocol is not None:
            fastsend.send_prepared(protocol, text)
        else:
            await self.base_send({"type": "websocket.send", "text": text})

    async def send_json(self, obj):
        await self.send(text_data=dumps(obj))

    def snapshot_extra(self):
        return {}

    async def send_snapshot(self):
        # Held back events pile up in conn.buffer until the snapshot is out; see Hub.mark_ready.
        self.conn.ready_after = None
        snapshot = await snapshots.call((self.meeting_id, self.view), self.member_id)
        snapshot.update(self.snapshot_extra())
        snapshot["now"] = server_now_ms()
        await self.send_json(snapshot)
        await hub.mark_ready(self.conn, snapshot["seq"])

    async def receive(self, text_data=None, bytes_data=None):
        if self.conn is None and self.challenge is None:
            return  # refused, or closing
        if text_data is None:
            return await self.reply_error(None, "malformed", _("只接受 JSON 文本消息"))
        if len(text_data.encode("utf-8")) > settings.HUITANG_WS_MAX_MESSAGE:
            return await self.reply_error(None, "too_large", _("消息过大"))
        try:
            message = json.loads(text_data)
        except ValueError:
            return await self.reply_error(None, "malformed", _("消息不是有效的 JSON"))
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return await self.reply_error(None, "malformed", _("消息必须是带 type 字段的 JSON 对象"))
        request_id = message.get("id")
        if request_id is not None and (not isinstance(request_id, (str, int)) or isinstance(request_id, bool)
                                       or len(str(request_id)) > 64):
            return await self.reply_error(None, "malformed", _("id 必须是不超过64个字符的字符串或整数"))
        if self.conn is None:
            method = self.pre_auth_handlers.get(message["type"])
            if method is None:
                return await self.reply_error(request_id, "auth_required", _("请先完成设备认证"))
            handler = getattr(self, method)
        else:
            handler = self._handler(message["type"])
            if handler is None:
                return await self.reply_error(request_id, "unknown_type", _("不支持的消息类型：%(type)s") % {
                    "type": message["type"][:40]})
        try:
            with translation.override(self.language):
                result = await handler(message)
        except ServiceError as refused:
            return await self.reply_error(request_id, refused.code, refused.message)
        except Exception:
            log.exception("handler %s failed", handler)
            return await self.reply_error(request_id, "server_error", _("服务器内部错误"))
        if result is not False:
            await self.send_json({"type": "ok", "id": request_id, **(result or {})})

    async def reply_error(self, request_id, code, message):
        await self.send_json({"type": "error", "id": request_id, "code": code, "message": message})

    def _handler(self, type_):
        """A request handler: the socket's own (ping, resync…) or one a domain registered for this view."""
        method = self.handlers.get(type_)
        if method is not None:
            return getattr(self, method)
        fn = registry.lookup(self.view, type_)
        if fn is None:
            return None
        return lambda message: fn(self, message)

    async def on_ping(self, message):
        return {"pong": True, "now": server_now_ms()}

    async def on_resync(self, message):
        await self.send_snapshot()
        return False  # the snapshot is the reply


device_lookups = Batcher(devices.find_devices)


class DeviceSocket(HallSocket):
    """A paired tablet or display: it proves it holds its key by signing a fresh challenge.

    ``?device=<id>`` names the device; the server sends {"type": "challenge", "nonce": …} and the
    device answers {"type": "auth", "signature": …} over devices.crypto.auth_message.
    """

    pre_auth_handlers = {"auth": "on_auth", "ping": "on_ping"}
    AUTH_TIMEOUT_SECONDS = 15

    async def begin(self):
        device = _query_param(self.scope, "device")
        if device is None:
            raise ServiceError("no_device", _("缺少设备编号，请先配对"))
        self.device_id = device[:64]
        self.challenge = devices.new_nonce()
        await self.send_json({"type": "challenge", "nonce": self.challenge, "meeting": self.meeting_id})
        self._auth_timer = asyncio.get_running_loop().call_later(
            self.AUTH_TIMEOUT_SECONDS, lambda: asyncio.ensure_future(self._auth_timeout()))

    async def _auth_timeout(self):
        if self.conn is None and self.challenge is not None:
            self.challenge = None
            await self.refuse(ServiceError("auth_timeout", _("设备认证超时")))

    async def on_auth(self, message):
        nonce, self.challenge = self.challenge, None  # one answer per challenge, right or wrong
        self._auth_timer.cancel()
        if nonce is None:
            raise ServiceError("auth_required", _("请重新连接"))
        signature = message.get("signature")
        try:
            found = await device_lookups.call((self.view, self.meeting_id), self.device_id)
        except ServiceError as refused:
            await self.refuse(refused)
            return False
        checked = devices.check_answer(found, self.meeting_id, nonce, signature)
        if isinstance(checked, ServiceError):
            await self.refuse(checked)
            return False
        device, self.member_id = checked
        self.device_id = str(device.id)
        self.public_key = bytes(device.public_key)
        self.seat = device.seat.label if device.seat_id else None
        presence.tracker.online(self.device_id, message.get("battery"), message.get("charging"),
                                _header(self.scope, b"user-agent"))
        await self.go_live()
        return False  # the snapshot is the reply

    def snapshot_extra(self):
        if self.device_id is None:
            return {}
        return {"device": {"id": self.device_id, "seat": getattr(self, "seat", None), "bound": self.member_id}}

    async def on_control(self, action):
        if action == "revoke":
            hub.detach(self.conn)
            self.conn = None
            await self.refuse(ServiceError("device_revoked", _("该设备已停用，请联系工作人员")))
        elif action == "rebind" and self.conn is not None:
            member_id = await database_sync_to_async(devices.bound_member)(self.meeting_id, self.device_id)
            hub.detach(self.conn)
            self.member_id = member_id
            await self.go_live()

    async def disconnect(self, code):
        if self.device_id is not None and self.conn is not None:
            presence.tracker.offline(self.device_id)
        await super().disconnect(code)

    async def on_presence(self, message):
        if self.device_id is not None:
            presence.tracker.update(self.device_id, message.get("battery"), message.get("charging"))
        return {}


def _query_param(scope, name):
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[0] if values else None


def _header(scope, name):
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")[:300]
    return ""


class TabletSocket(DeviceSocket):
    view = "tablet"
    handlers = {**HallSocket.handlers, "identify": "on_identify", "presence": "on_presence"}

    async def on_identify(self, message):
        if self.device_id is None:
            raise ServiceError("unknown_device", _("未登记的设备，请重新配对"))
        if self.member_id is not None:
            raise ServiceError("already_bound", _("本终端已绑定代表"))
        if "code" in message:  # the personal code of the member's badge, scanned or typed
            member_id = await database_sync_to_async(devices.identify_by_code)(
                self.meeting_id, self.device_id, message.get("code"))
        else:
            member_id = await database_sync_to_async(devices.identify_member)(
                self.meeting_id, self.device_id, message.get("number"), message.get("pin"))
        hub.detach(self.conn)
        self.member_id = member_id
        await self.go_live()  # a new snapshot, now with "me", then the ok
        return {"member": member_id}


class DisplaySocket(DeviceSocket):
    view = "display"
    handlers = {**HallSocket.handlers, "presence": "on_presence"}


class ConsoleSocket(HallSocket):
    view = "console"
    PRESENCE_POLL_SECONDS = 1.0

    def authorize(self):
        access.check_operator(self.scope.get("user"), self.meeting_id)
        return None

    def user(self):
        return self.scope["user"]

    async def go_live(self):
        await super().go_live()
        self.presence_task = asyncio.get_running_loop().create_task(self._watch_presence())

    async def disconnect(self, code):
        task = getattr(self, "presence_task", None)
        if task is not None:
            task.cancel()
        await super().disconnect(code)

    async def _watch_presence(self):
        """Presence is not in the event stream (see devices.presence): poll what changed and send it."""
        from django.utils import timezone

        since = None
        while self.conn is not None:
            started = timezone.now()
            rows = await database_sync_to_async(device_rows)(self.meeting_id, since)
            if rows or since is None:
                await self.send_json({"type": "presence", "full": since is None, "devices": rows})
            since = started
            await asyncio.sleep(self.PRESENCE_POLL_SECONDS)
