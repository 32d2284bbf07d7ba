"""Requests that arrive together are served by one database call.

When a hall's tablets connect in a burst, every request that arrives while a call is running (or
within WINDOW of the first) waits for the next call, which serves all of them: one set of queries
per group instead of one per tablet. Used for connection checks and snapshots.
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
        self.pending = {}  # key -> [(item, future)]

    async def call(self, key, item):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        batch = self.pending.get(key)
        if batch is None or len(batch) >= BATCH_MAX:
            batch = self.pending[key] = []
            loop.create_task(self._run(key, batch))
        batch.append((item, future))
        return await future

    async def _run(self, key, batch):
        await asyncio.sleep(self.window)  # let the rest of the burst join
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
