"""Closing a poll when its countdown runs out. The timer lives in the process that opened (or
resumed) the poll; ballots past closes_at are refused by the intake whatever the timer does, so
a lost timer can delay the close on the screens but never admit a late ballot."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.utils import timezone

from meeting.errors import ServiceError

log = logging.getLogger(__name__)


def schedule_close(meeting_id, poll_id, closes_at):
    from meeting.hub import hub

    loop = hub.loop
    if loop is None or loop.is_closed() or not loop.is_running():
        return
    delay = max((closes_at - timezone.now()).total_seconds(), 0)
    loop.call_soon_threadsafe(lambda: loop.call_later(delay, lambda: loop.create_task(_close(meeting_id, poll_id))))


async def _close(meeting_id, poll_id):
    from .models import Poll
    from .services import close_poll

    def due():
        poll = Poll.objects.filter(pk=poll_id).values("state", "closes_at").first()
        return poll and poll["state"] == Poll.State.OPEN and poll["closes_at"] and poll["closes_at"] <= timezone.now()

    if not await sync_to_async(due, thread_sensitive=False)():
        return  # paused, resumed with a new time (which scheduled its own timer), or closed already
    try:
        await sync_to_async(close_poll, thread_sensitive=False)(meeting_id, poll_id, None, "countdown")
    except ServiceError:
        pass
    except Exception:
        log.exception("closing poll %s at the end of its countdown failed", poll_id)
    await asyncio.sleep(0)
