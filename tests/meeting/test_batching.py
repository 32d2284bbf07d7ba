"""meeting.batching.Batcher: one call per key at a time; what arrives meanwhile is the next group."""

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from meeting import batching
from meeting.batching import Batcher


@pytest.fixture(autouse=True)
def no_database(monkeypatch):
    # The bulk functions here touch no database: skip Channels' close_old_connections() around them.
    monkeypatch.setattr(batching, "database_sync_to_async", sync_to_async)


async def test_requests_arriving_during_a_call_share_the_next_call():
    calls = []

    def bulk(key, items):
        calls.append((key, list(items)))
        time.sleep(0.1)  # a slow group (a lock wait, a busy sync thread)
        return [item * 10 for item in items]

    batcher = Batcher(bulk, window=0.005)
    first = asyncio.ensure_future(batcher.call("k", 0))
    await asyncio.sleep(0.03)  # the first call is running
    rest = []
    for n in range(1, 8):  # arriving one by one, each more than a window apart
        rest.append(asyncio.ensure_future(batcher.call("k", n)))
        await asyncio.sleep(0.01)
    assert await first == 0
    assert await asyncio.gather(*rest) == [n * 10 for n in range(1, 8)]
    assert calls == [("k", [0]), ("k", list(range(1, 8)))]
    assert batcher.pending == {} and batcher.last == {}


async def test_errors_reach_their_caller_only_and_keys_do_not_wait_for_each_other():
    def bulk(key, items):
        if key == "bad":
            raise RuntimeError("down")
        return [ValueError(item) if item < 0 else item for item in items]

    batcher = Batcher(bulk)
    good, refused, failed = await asyncio.gather(batcher.call("k", 1), batcher.call("k", -1),
                                                 batcher.call("bad", 2), return_exceptions=True)
    assert good == 1
    assert isinstance(refused, ValueError)
    assert isinstance(failed, RuntimeError)
    assert await batcher.call("k", 3) == 3  # the key's chain is clean after an error
