from channels.db import database_sync_to_async

from meeting import services

from .registry import handles


@handles("meeting.open", "console")
async def meeting_open(sock, message):
    await database_sync_to_async(services.open_meeting)(sock.meeting_id, sock.user())


@handles("meeting.close", "console")
async def meeting_close(sock, message):
    await database_sync_to_async(services.close_meeting)(sock.meeting_id, sock.user())


@handles("agenda.set_current", "console")
async def agenda_set_current(sock, message):
    await database_sync_to_async(services.set_current_item)(sock.meeting_id, message.get("item"), sock.user())


@handles("display.set", "console")
async def display_set(sock, message):
    await database_sync_to_async(services.set_display)(
        sock.meeting_id, message.get("mode"), message.get("text", ""), sock.user())


@handles("notice.send", "console")
async def notice_send(sock, message):
    await database_sync_to_async(services.send_notice)(
        sock.meeting_id, message.get("text"), message.get("member"), sock.user())
