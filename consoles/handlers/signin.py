"""Sign-in requests (see docs/protocol.md, "Sign-in")."""

from channels.db import database_sync_to_async

from meeting.batching import Batcher
from signin import services

from .registry import handles


@handles("signin.open", "console")
async def signin_open(sock, message):
    await database_sync_to_async(services.open_window)(sock.meeting_id, sock.user())


@handles("signin.close", "console")
async def signin_close(sock, message):
    await database_sync_to_async(services.close_window)(sock.meeting_id, sock.user())


@handles("signin.manual", "console")
async def signin_manual(sock, message):
    outcome = await database_sync_to_async(services.manual_sign_in)(
        sock.meeting_id, message.get("member"), message.get("reason"), sock.user())
    return outcome.reply()


@handles("signin.leave", "console")
async def signin_leave(sock, message):
    await database_sync_to_async(services.record_leave)(
        sock.meeting_id, message.get("member"), message.get("reason", ""), sock.user())


@handles("signin.scan", "console")
async def signin_scan(sock, message):
    outcome = await database_sync_to_async(services.scan_badge)(
        sock.meeting_id, message.get("code"), message.get("place", ""), sock.user())
    return outcome.reply()


@handles("signin.badge_revoke", "console")
async def signin_badge_revoke(sock, message):
    version = await database_sync_to_async(services.revoke_badge)(sock.meeting_id, message.get("member"), sock.user())
    return {"version": version}


# A hall taps 签到 within seconds: the taps that arrive together share one transaction.
taps = Batcher(services.tap_many)


@handles("signin.tap", "tablet")
async def signin_tap(sock, message):
    outcome = await taps.call(sock.meeting_id, (sock.member_id, getattr(sock, "seat", None) or "", sock.device_id or ""))
    return outcome.reply()


@handles("signin.venue", "tablet")
async def signin_venue(sock, message):
    outcome = await database_sync_to_async(services.venue_sign_in)(
        sock.meeting_id, sock.member_id, message.get("code"), sock.device_id or "")
    return outcome.reply()
