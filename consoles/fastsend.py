"""One event, framed once, written to every socket of a hall (under daphne).

The hub writes the same text to 3,000 sockets in a row. Through the ASGI ``send`` each write goes
daphne ``Server.handle_reply`` → ``WebSocketProtocol.handle_reply`` → ``serverSend`` (encodes the
text to UTF-8 again) → autobahn ``sendMessage`` (checks, statistics, builds the frame header) →
``sendData`` → Twisted's ``transport.write``. autobahn's own broadcast API, ``prepareMessage`` +
``sendPreparedMessage``, builds the frame once and per socket only calls ``sendData``: in the
3,000-tablet meeting bench the vote-open fan-out loop took 146 ms instead of 264 ms (same load).

The frame then goes to the socket at once. Twisted's ``transport.write`` only buffers: it asks
the event loop to watch the socket for writability (an ``epoll_ctl``), and on the next turn of
the loop every one of the 3,000 sockets comes back writable, is dispatched through Twisted's
logging context, sent, and unwatched (a second ``epoll_ctl``); no tablet gets a byte until the
loop has queued all of them. When nothing is waiting in the transport's buffers we call its own
``writeSomeData`` (one ``send``); what the kernel does not take goes through ``transport.write``
behind it, in order. Plain TCP only: a TLS transport, a compressing socket or one with autobahn's
own send queue take autobahn's path. This reads Twisted's FileDescriptor buffers
(``_tempDataBuffer``, ``dataBuffer``) as well as daphne's protocol: daphne, autobahn and Twisted
are pinned in requirements.txt, and an upgrade of any of them should rerun
tests/realtime/test_hallsocket.py and the benchmark.

This needs daphne's protocol object, which daphne 4 hands the application only as the first
argument of its ``send`` (``functools.partial(Server.handle_reply, protocol)``). Anything else
(another ASGI server, Channels' test communicator, a daphne that changed) gets ``None`` here and
the socket falls back to the ASGI ``send``.
"""

import functools

try:
    from daphne.ws_protocol import WebSocketProtocol as _DaphneProtocol
    from twisted.internet.tcp import Server as _TcpServer
except ImportError:  # served by another ASGI server
    _DaphneProtocol = _TcpServer = None

_last = (None, None)  # (text, its PreparedMessage): the event the hub is writing out now


def daphne_protocol(send):
    """The daphne WebSocketProtocol behind an ASGI ``send`` callable, or None."""
    if _DaphneProtocol is None or not isinstance(send, functools.partial) or not send.args:
        return None
    protocol = send.args[0]
    if not isinstance(protocol, _DaphneProtocol) or not hasattr(protocol, "sendPreparedMessage"):
        return None
    return protocol


def send_prepared(protocol, text):
    """Write ``text`` as one WebSocket text message to an open daphne protocol; a socket that is
    closing or closed gets nothing (daphne's own path would raise, and the hub ignores that)."""
    global _last
    if protocol.state != protocol.STATE_OPEN:
        return False
    last_text, message = _last
    if last_text is not text:  # the same str object for every socket of one event
        message = protocol.factory.prepareMessage(text.encode("utf-8"))
        _last = (text, message)
    if protocol._perMessageCompress is not None or protocol.send_queue:
        protocol.sendPreparedMessage(message)
    else:
        write_now(protocol.transport, message.payloadHybi)
    return True


def write_now(transport, data):
    """Send ``data`` now if the transport has nothing queued; otherwise (or for what the kernel
    did not take) queue it behind, through Twisted's own write."""
    if (type(transport) is _TcpServer and not transport.TLS and transport.connected
            and not transport.disconnecting and not transport._writeDisconnected
            and not transport._tempDataBuffer and not transport.dataBuffer):
        sent = transport.writeSomeData(data)
        if sent == len(data):
            return
        if isinstance(sent, int) and sent > 0:
            data = data[sent:]
        # 0 (the kernel's buffer is full) or a lost connection: Twisted's write queues it and its
        # doWrite meets the same condition and handles it (waits, or closes the connection).
    transport.write(data)
