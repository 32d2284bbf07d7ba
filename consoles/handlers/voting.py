from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from meeting.errors import ServiceError
from voting import intake, services

from .registry import handles


@handles("poll.prepare", "console")
async def poll_prepare(sock, message):
    poll = await database_sync_to_async(services.prepare_poll)(
        sock.meeting_id, message.get("item"), sock.user(),
        kind=message.get("kind", "motion"), title=message.get("title"), nominees=message.get("nominees"),
        anonymous=message.get("anonymous", True), allow_change=message.get("allow_change", False),
        countdown_seconds=message.get("countdown"), threshold=message.get("threshold"))
    return {"poll": poll.id}


def _lifecycle(type_, fn):
    @handles(type_, "console")
    async def handler(sock, message):
        await database_sync_to_async(fn)(sock.meeting_id, message.get("poll"), sock.user())

    return handler


_lifecycle("poll.open", services.open_poll)
_lifecycle("poll.pause", services.pause_poll)
_lifecycle("poll.resume", services.resume_poll)
_lifecycle("poll.close", services.close_poll)
_lifecycle("poll.announce", services.announce_poll)


@handles("poll.cancel", "console")
async def poll_cancel(sock, message):
    await database_sync_to_async(services.cancel_poll)(sock.meeting_id, message.get("poll"), message.get("reason"),
                                                       sock.user())


@handles("poll.hand_count", "console")
async def poll_hand_count(sock, message):
    await database_sync_to_async(services.record_hand_count)(
        sock.meeting_id, message.get("poll"), message.get("counts"), message.get("note", ""), sock.user())


@handles("ballot.cast", "tablet")
async def ballot_cast(sock, message):
    public_key = getattr(sock, "public_key", None)
    if public_key is None:
        raise ServiceError("unknown_device", _("只有已配对的终端可以表决"))
    request = intake.parse(message, sock.meeting_id, sock.member_id, sock.device_id)
    # The patch comes back with the receipt from the group's transaction: no query of our own.
    receipt, patch = await intake.intake.submit(request, public_key)
    return {"receipt": receipt, "patch": patch}
