"""The three sockets. They authenticate, hand out snapshots, relay the stream from the hub and
turn client requests into service calls; no rule lives here.

Every client message is a JSON object with a "type" and an optional "id" that the reply echoes.
Anything else gets an error reply and changes nothing; the socket stays open.
"""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _

from meeting import access, services
from meeting.errors import ServiceError
from meeting.hub import Connection, hub
from meeting.snapshot import build_snapshot
from meeting.wire import dumps

log = logging.getLogger(__name__)

# Close codes (4000-4999 are the application's): the reason text goes in an error message first.
CLOSE_REFUSED = 4403


class HallSocket(AsyncWebsocketConsumer):
    view = None  # "tablet" | "display" | "console"
    # type -> method name; each role lists what it may ask for.
    handlers = {"ping": "on_ping", "resync": "on_resync"}

    async def connect(self):
        self.conn = None
        await self.accept()
        try:
            self.meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
            self.member_id = await database_sync_to_async(self.authorize)()
        except ServiceError as refused:
            await self.send_json({"type": "error", "code": refused.code, "message": refused.message})
            await self.close(code=CLOSE_REFUSED)
            return
        self.conn = Connection(self.meeting_id, self.view, self.member_id, self._send_text)
        hub.attach(self.conn)
        await self.send_snapshot()

    def authorize(self):
        """Return the member id this socket acts for (or None); raise ServiceError to refuse."""
        raise NotImplementedError

    async def disconnect(self, code):
        if self.conn is not None:
            hub.detach(self.conn)
            self.conn = None

    async def _send_text(self, text):
        await self.send(text_data=text)

    async def send_json(self, obj):
        await self.send(text_data=dumps(obj))

    async def send_snapshot(self):
        # Held back events pile up in conn.buffer until the snapshot is out; see Hub.mark_ready.
        self.conn.ready_after = None
        snapshot = await database_sync_to_async(build_snapshot)(self.meeting_id, self.view, self.member_id)
        await self.send_json(snapshot)
        await hub.mark_ready(self.conn, snapshot["seq"])

    async def receive(self, text_data=None, bytes_data=None):
        if self.conn is None:
            return
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
        handler = self.handlers.get(message["type"])
        if handler is None:
            return await self.reply_error(request_id, "unknown_type", _("不支持的消息类型：%(type)s") % {"type": message["type"][:40]})
        try:
            result = await getattr(self, handler)(message)
        except ServiceError as refused:
            return await self.reply_error(request_id, refused.code, refused.message)
        except Exception:
            log.exception("handler %s failed", handler)
            return await self.reply_error(request_id, "server_error", _("服务器内部错误"))
        if result is not False:
            await self.send_json({"type": "ok", "id": request_id, **(result or {})})

    async def reply_error(self, request_id, code, message):
        await self.send_json({"type": "error", "id": request_id, "code": code, "message": message})

    async def on_ping(self, message):
        return {"pong": True}

    async def on_resync(self, message):
        await self.send_snapshot()
        return False  # the snapshot is the reply


def _query_token(scope):
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return values[0] if values else None


class TabletSocket(HallSocket):
    view = "tablet"

    def authorize(self):
        return access.check_token(_query_token(self.scope), "tablet", self.meeting_id)


class DisplaySocket(HallSocket):
    view = "display"

    def authorize(self):
        access.check_token(_query_token(self.scope), "display", self.meeting_id)
        return None


class ConsoleSocket(HallSocket):
    view = "console"
    handlers = {
        **HallSocket.handlers,
        "meeting.open": "on_meeting_open",
        "meeting.close": "on_meeting_close",
        "agenda.set_current": "on_agenda_set_current",
        "display.set": "on_display_set",
        "notice.send": "on_notice_send",
    }

    def authorize(self):
        access.check_operator(self.scope.get("user"), self.meeting_id)
        return None

    def _user(self):
        return self.scope["user"]

    async def on_meeting_open(self, message):
        await database_sync_to_async(services.open_meeting)(self.meeting_id, self._user())

    async def on_meeting_close(self, message):
        await database_sync_to_async(services.close_meeting)(self.meeting_id, self._user())

    async def on_agenda_set_current(self, message):
        await database_sync_to_async(services.set_current_item)(
            self.meeting_id, message.get("item"), self._user()
        )

    async def on_display_set(self, message):
        await database_sync_to_async(services.set_display)(
            self.meeting_id, message.get("mode"), message.get("text", ""), self._user()
        )

    async def on_notice_send(self, message):
        await database_sync_to_async(services.send_notice)(
            self.meeting_id, message.get("text"), message.get("member"), self._user()
        )
