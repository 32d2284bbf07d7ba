"""Snapshots for sockets that connect together are built together.

When a hall's tablets connect in a burst, every request that arrives while a build is running
waits for the next one, which serves all of them with one set of queries (build_snapshots).
"""

import asyncio

from channels.db import database_sync_to_async

from .snapshot import build_snapshots

BATCH_MAX = 500


class SnapshotBatcher:
    def __init__(self):
        self.pending = {}  # (meeting id, view) -> [(member id, future)]

    async def get(self, meeting_id, view, member_id):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        key = (meeting_id, view)
        batch = self.pending.get(key)
        if batch is None or len(batch) >= BATCH_MAX:
            batch = self.pending[key] = []
            loop.create_task(self._build(key, batch))
        batch.append((member_id, future))
        return await future

    async def _build(self, key, batch):
        await asyncio.sleep(0)  # let the requests of this loop turn join
        if self.pending.get(key) is batch:
            del self.pending[key]
        try:
            snapshots = await database_sync_to_async(build_snapshots)(key[0], key[1], [m for m, _ in batch])
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), snapshot in zip(batch, snapshots):
            if not future.done():
                future.set_result(snapshot)


batcher = SnapshotBatcher()
