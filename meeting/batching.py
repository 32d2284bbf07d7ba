"""Requests that arrive together are served by one database call.

When a hall's tablets connect in a burst, every request that arrives while a call is running (or
within WINDOW of the first) waits for the next call, which serves all of them: one set of queries
per group instead of one per tablet. Used for connection checks, snapshots and sign-in taps.

One call per key at a time: the next group stays open (keeps collecting) until the previous call
of its key has returned. Closing a group after WINDOW regardless queued a stream of tiny groups
behind a busy sync thread (or behind another process holding the meeting row's lock): under a
sign-in burst each call served one or two taps and the queue, not the groups, grew.
"""

import asyncio

from channels.db import database_sync_to_async

BATCH_MAX = 500
WINDOW = 0.005


class Batcher:
    def __init__(self, bulk_fn, window=WINDOW):
        """bulk_fn(key, items) -> one result per item, in order; an Exception result is raised
        to that item's caller only."""
        self.bulk_fn = bulk_fn
        self.window = window
        self.pending = {}  # key -> [(item, future)]: the open group, still collecting
        self.last = {}  # key -> the task of the key's newest group (running, or waiting its turn)

    async def call(self, key, item):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        batch = self.pending.get(key)
        if batch is None or len(batch) >= BATCH_MAX:
            batch = self.pending[key] = []
            previous = self.last.get(key)
            self.last[key] = loop.create_task(self._run(key, batch, previous))
        batch.append((item, future))
        return await future

    async def _run(self, key, batch, previous):
        try:
            await asyncio.sleep(self.window)  # let the rest of the burst join
            if previous is not None and not previous.done():
                await asyncio.wait([previous])  # its turn comes when the key's previous call returned
            if self.pending.get(key) is batch:
                del self.pending[key]
            try:
                results = await database_sync_to_async(self.bulk_fn)(key, [item for item, _ in batch])
            except Exception as error:
                results = [error] * len(batch)
            for (_, future), result in zip(batch, results):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)
        finally:
            if self.last.get(key) is asyncio.current_task():
                del self.last[key]
            for _, future in batch:  # cancelled (shutting down): nobody waits forever
                if not future.done():
                    future.cancel()
