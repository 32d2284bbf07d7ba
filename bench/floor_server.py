"""The floor: the least a Python server could do for the fan-out benchmark.

A bare ``websockets`` (asyncio) server that speaks just enough of the hall protocol for the
bench's clients to treat it exactly like Huitang:

- every connection (``/tablet/<n>``, ``/display/<n>``, ``/console``) first gets a ``snapshot``
  with ``seq`` and ``heads``;
- a ``display.set`` request (from any connection, in practice the bench's console) is stored
  like a service would store it: one INSERT and COMMIT in SQLite (WAL, synchronous=FULL), on a
  worker thread so the event loop keeps serving; then ONE ``event`` message, shaped and sized
  like Huitang's ``display.changed`` event, is serialised once and pushed to every open
  connection with ``websockets.broadcast``; then the requester gets ``{"type":"ok","id":...}``;
- ``ping`` gets ``{"type":"ok","id":...,"pong":true}``.

No authentication, no per-connection database work, no routing by audience: a lower bound.

    python -m bench.floor_server --port 8765 [--db PATH]

prints ``READY <port>`` on stdout once it listens.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

from websockets.asyncio.server import broadcast
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import add_floor_args, dumps, open_db_thread, serve_until_stopped  # noqa: E402


class Floor:
    def __init__(self, db_path):
        self.seq = 0
        self.display = {"mode": "welcome", "text": ""}
        self.open = set()
        self.executor, self.db = open_db_thread(
            db_path, "CREATE TABLE IF NOT EXISTS event (seq INTEGER PRIMARY KEY, kind TEXT, data TEXT);")

    # ---- storage (on the one DB thread) ----------------------------------------------------

    def _store(self, seq, data):
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("INSERT INTO event (seq, kind, data) VALUES (?, ?, ?)",
                        (seq, "display.changed", data))
        self.db.execute("COMMIT")

    # ---- protocol ---------------------------------------------------------------------------

    async def handler(self, ws):
        path = ws.request.path
        if path.startswith("/tablet/"):
            view, heads = "tablet", {"tablet": self.seq, "member": 0}
        elif path.startswith("/display/"):
            view, heads = "display", {"display": self.seq}
        else:
            view, heads = "console", {"console": self.seq}
        snapshot = {"type": "snapshot", "seq": self.seq, "heads": heads,
                    "state": {"display": dict(self.display), "view": view}}
        # Registered and snapshot queued in one step: no broadcast can fall between them.
        self.open.add(ws)
        try:
            await ws.send(dumps(snapshot))
            async for text in ws:
                await self.on_message(ws, text)
        except ConnectionClosed:
            pass  # the bench drops its sockets without a closing handshake
        finally:
            self.open.discard(ws)

    async def on_message(self, ws, text):
        try:
            message = json.loads(text)
            kind, request_id = message.get("type"), message.get("id")
        except (ValueError, AttributeError):
            await ws.send(dumps({"type": "error", "id": None, "code": "malformed", "message": "bad"}))
            return
        if kind == "ping":
            await ws.send(dumps({"type": "ok", "id": request_id, "pong": True}))
        elif kind == "display.set":
            display = {"mode": message.get("mode", "message"), "text": str(message.get("text", ""))}
            data = dumps({"display": display})
            loop = asyncio.get_running_loop()
            # seq taken and event stored in order: the one DB thread serialises commits.
            self.seq += 1
            seq = self.seq
            await loop.run_in_executor(self.executor, self._store, seq, data)
            self.display = display
            prev = seq - 1
            event = dumps({
                "type": "event", "seq": seq, "kind": "display.changed",
                "prev": {"tablet": prev, "display": prev, "console": prev},
                "data": {"display": display},
            })
            broadcast(self.open, event)
            await ws.send(dumps({"type": "ok", "id": request_id}))
        else:
            await ws.send(dumps({"type": "error", "id": request_id, "code": "unknown_type",
                                 "message": "unknown"}))


async def amain(args):
    db_path = args.db or os.path.join(tempfile.mkdtemp(prefix="floor-"), "floor.sqlite3")
    await serve_until_stopped(Floor(db_path).handler, args.host, args.port, args.backlog)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.floor_server", description=__doc__.split("\n\n")[0])
    args = add_floor_args(parser, port=8765).parse_args(argv)
    asyncio.run(amain(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
