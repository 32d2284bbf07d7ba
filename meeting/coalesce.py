"""Publish a summary at most every DELAY seconds however many changes asked for it.

Used for what changes in bursts — sign-in counts, vote progress — where one hall-wide event per
change would mean millions of messages. A change calls request(key) inside its transaction; once
it commits, the first request arms a timer on the server's event loop, later ones ride along, and
when the timer fires ``flush(key)`` runs once (in a worker thread) with the state as it is then.
With no event loop in this process (a management command, a unit test) the flush runs at once.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.db import transaction

log = logging.getLogger(__name__)


class Coalescer:
    def __init__(self, flush, delay=0.25):
        self.flush = flush
        self.delay = delay
        self.armed = set()

    def request(self, key):
        transaction.on_commit(lambda: self._after_commit(key))

    def _after_commit(self, key):
        from .hub import hub

        loop = hub.loop
        if loop is None or loop.is_closed() or not loop.is_running():
            self.flush(key)
            return
        loop.call_soon_threadsafe(self._arm, key)

    def _arm(self, key):
        if key in self.armed:
            return
        self.armed.add(key)
        loop = asyncio.get_running_loop()
        loop.call_later(self.delay, lambda: loop.create_task(self._fire(key)))

    async def _fire(self, key):
        self.armed.discard(key)
        try:
            await sync_to_async(self.flush, thread_sensitive=False)(key)
        except Exception:
            log.exception("coalesced flush of %s failed", key)
