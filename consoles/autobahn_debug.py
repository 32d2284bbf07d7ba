"""autobahn's debug messages, formatted only when debug logging is on.

autobahn 24+ builds the text of some ``log.debug`` arguments before the call: every WebSocket
connection pretty-prints its 40 protocol options (``pformat`` in
``WebSocketProtocol._connectionMade``), which was 7 % of the server's CPU while 3,000 tablets
connected (py-spy, bench.meeting) for a message nobody logs. The arguments become lazy instead:
the logger formats them with ``str.format``, which calls ``__format__`` only if the message is
emitted.
"""

import pprint


class _Lazy:
    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __format__(self, spec):
        return format(pprint.pformat(self.obj), spec)

    __str__ = __repr__ = lambda self: pprint.pformat(self.obj)


def install():
    """Idempotent; a no-op without autobahn (another ASGI server)."""
    try:
        from autobahn.websocket import protocol
    except ImportError:
        return
    protocol.pformat = _Lazy
    # The module's one other use of pformat must still return a str.
    protocol.Timings.__str__ = lambda self: pprint.pformat(self._timings)
