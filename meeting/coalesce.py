"""Publish a summary at most every DELAY seconds however many changes asked for it.

For what changes in bursts — sign-in figures, vote progress — where one hall-wide event per change
would mean millions of messages. A change calls ``touch(key)`` after it commits. The first touch
schedules one flush ``delay`` seconds later (trailing edge); touches before the flush starts are
absorbed by it; a touch after it started schedules the next one. The flush runs a service
transaction that reads the state and publishes it, so the last event always carries the state as
of after the last change.

The flush runs on the hub's event loop (in Django's sync thread, like every other database call
there) when this process serves sockets, or on a timer thread otherwise (a management command,
an HTTP-only process). Tests replace ``scheduler`` to flush by hand (``flush_pending``).
"""

import contextvars
import logging
import threading

log = logging.getLogger(__name__)

DELAY = 0.3


def _run_in_thread(fn):
    from django.db import close_old_connections, connection

    try:
        fn()
    finally:
        close_old_connections()
        connection.close()


def default_scheduler(delay, fn):
    """Call ``fn`` (sync, touches the database) about ``delay`` seconds from now, off this thread."""
    from meeting.hub import hub

    loop = hub.loop
    if loop is not None and not loop.is_closed() and loop.is_running():
        from channels.db import database_sync_to_async

        async def run():
            try:
                await database_sync_to_async(fn)()
            except Exception:
                log.exception("coalesced flush failed")

        def arm():
            loop.call_later(delay, lambda: loop.create_task(run()))

        # A fresh context: the caller's (a request's sync thread) would make asgiref refuse to
        # run the flush in that same thread ("would deadlock").
        loop.call_soon_threadsafe(arm, context=contextvars.Context())
        return
    timer = threading.Timer(delay, _run_in_thread, args=(fn,))
    timer.daemon = True
    timer.start()


class Coalescer:
    def __init__(self, flush, delay=DELAY, scheduler=None):
        self.flush = flush  # flush(key): publishes the current summary for key
        self.delay = delay
        self.scheduler = scheduler or default_scheduler
        self._lock = threading.Lock()
        self._pending = set()
        self.flushes = 0

    def touch(self, key):
        with self._lock:
            if key in self._pending:
                return
            self._pending.add(key)
        self.scheduler(self.delay, lambda: self._run(key))

    def _run(self, key):
        with self._lock:
            if key not in self._pending:
                return  # already flushed by flush_pending()
            # Before reading: a change that commits from now on schedules another flush.
            self._pending.discard(key)
        self.flushes += 1
        try:
            self.flush(key)
        except Exception:
            log.exception("coalesced summary for %s not published", key)
            raise

    def pending(self):
        with self._lock:
            return set(self._pending)

    def flush_pending(self):
        """Flush every scheduled meeting now, in this thread (tests; shutting down)."""
        for key in sorted(self.pending()):
            self._run(key)
