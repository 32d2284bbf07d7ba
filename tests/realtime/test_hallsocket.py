"""HallSocket's two hot paths.

- dispatch: no message takes Channels' per-message aclose_old_connections() hop (our database
  calls clean up their own connections through database_sync_to_async; Channels'
  websocket_disconnect still calls it itself).
- _send_text (the hub's write of an event): under daphne the frame is built once per event and
  goes to the kernel at once when nothing is queued, behind what is queued otherwise
  (consoles/fastsend.py, checked here over a real socket pair); elsewhere the ASGI send.
"""

import functools

import pytest
from twisted.internet.main import CONNECTION_LOST

from consoles import fastsend
from consoles.consumers import HallSocket


class Probe(HallSocket):
    async def websocket_connect(self, message):
        self.seen.append(("connect", message))

    async def websocket_receive(self, message):
        self.seen.append(("receive", message))

    async def websocket_disconnect(self, message):
        self.seen.append(("disconnect", message))


@pytest.fixture
def hops(monkeypatch):
    calls = []

    async def counted():
        calls.append(1)

    monkeypatch.setattr("channels.consumer.aclose_old_connections", counted)
    return calls


async def test_no_message_takes_the_connection_cleanup_hop(hops):
    sock = Probe()
    sock.seen = []
    frame = {"type": "websocket.receive", "text": '{"type": "ping"}'}
    await sock.dispatch({"type": "websocket.connect"})
    for _ in range(3):
        await sock.dispatch(frame)
    await sock.dispatch({"type": "websocket.disconnect", "code": 1000})
    assert hops == []
    assert [kind for kind, _ in sock.seen] == ["connect", "receive", "receive", "receive", "disconnect"]
    assert sock.seen[1:4] == [("receive", frame)] * 3


async def test_an_unknown_message_type_is_still_refused(hops):
    with pytest.raises(ValueError):
        await Probe().dispatch({"type": "websocket.bogus"})


def daphne_socket():
    """A daphne WebSocketProtocol, open, over an in-memory transport, and a consumer whose ASGI
    send is what daphne 4 hands an application: partial(Server.handle_reply, protocol)."""
    import txaio

    txaio.use_twisted()
    from autobahn.twisted.websocket import WebSocketServerFactory
    from daphne.ws_protocol import WebSocketProtocol
    from twisted.internet.testing import StringTransport

    factory = WebSocketServerFactory()
    factory.protocol = WebSocketProtocol
    factory.setProtocolOptions(openHandshakeTimeout=0)
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(StringTransport())
    protocol.state = protocol.STATE_OPEN

    async def handle_reply(protocol, message):
        raise AssertionError("the event path must not go through daphne's handle_reply")

    sock = HallSocket()
    sock.base_send = functools.partial(handle_reply, protocol)
    return sock, protocol


async def test_under_daphne_an_event_is_framed_once_for_every_socket():
    built = []
    sockets = [daphne_socket() for _ in range(3)]
    for _, protocol in sockets:
        prepare = protocol.factory.prepareMessage
        protocol.factory.prepareMessage = lambda payload, _p=prepare: built.append(payload) or _p(payload)
    text = '{"type": "event", "seq": 7, "data": {"title": "预算"}}'
    for sock, _ in sockets:
        await sock._send_text(text)
    payload = text.encode("utf-8")
    for _, protocol in sockets:  # one unmasked text frame each: FIN+text, 7-bit length, payload
        assert protocol.transport.value() == bytes([0x81, len(payload)]) + payload
    assert built == [payload]

    # A closing socket gets nothing and raises nothing (the hub goes on to the next one).
    sock, protocol = sockets[0]
    protocol.transport.clear()
    protocol.state = protocol.STATE_CLOSING
    await sock._send_text('{"seq": 8}')
    assert protocol.transport.value() == b""


async def test_any_other_server_gets_the_asgi_send():
    sent = []

    async def asgi_send(message):
        sent.append(message)

    sock = HallSocket()
    sock.base_send = asgi_send
    await sock._send_text('{"seq": 1}')
    assert sent == [{"type": "websocket.send", "text": '{"seq": 1}'}]
    assert fastsend.daphne_protocol(functools.partial(asgi_send)) is None
    assert fastsend.daphne_protocol(functools.partial(lambda p, m: None, object())) is None


class _Reactor:
    """The part of a reactor a Twisted TCP transport calls, recording when it asks to be told
    that its socket is writable (i.e. when it has queued bytes instead of sending them)."""

    def __init__(self):
        self.writers = set()

    def addReader(self, fd):
        pass

    def addWriter(self, fd):
        self.writers.add(fd)

    def removeWriter(self, fd):
        self.writers.discard(fd)


@pytest.fixture
def tcp_pair():
    """A real Twisted TCP server transport over one end of a kernel socket pair with small buffers."""
    import socket

    from twisted.internet.protocol import Protocol
    from twisted.internet.tcp import Server

    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ours.setblocking(False)
    theirs.setblocking(False)
    reactor = _Reactor()
    transport = Server(ours, Protocol(), ("127.0.0.1", 1), None, 1, reactor)
    yield transport, theirs, reactor
    ours.close()
    theirs.close()


def drain(sock):
    got = b""
    while True:
        try:
            chunk = sock.recv(1 << 16)
        except BlockingIOError:
            return got
        got += chunk


def test_a_frame_goes_to_the_kernel_at_once_when_nothing_is_queued(tcp_pair):
    transport, peer, reactor = tcp_pair
    fastsend.write_now(transport, b"frame-1")
    assert drain(peer) == b"frame-1"  # already on the socket: no turn of the event loop needed
    assert not reactor.writers and transport.dataBuffer == b"" and transport._tempDataBuffer == []


def test_what_the_kernel_does_not_take_is_queued_and_later_frames_wait_behind_it(tcp_pair):
    transport, peer, reactor = tcp_pair
    frames = [bytes([65 + i % 26]) * 3000 for i in range(200)]  # far more than both buffers hold
    for frame in frames:
        fastsend.write_now(transport, frame)
    assert reactor.writers  # a backlog: Twisted now waits for writability
    received = drain(peer)
    assert 0 < len(received) < sum(map(len, frames))
    while transport.dataBuffer or transport._tempDataBuffer:  # the event loop's turns, by hand
        transport.doWrite()
        received += drain(peer)
    assert received == b"".join(frames)  # every byte, in order
    assert not reactor.writers
    fastsend.write_now(transport, b"after")  # drained: direct again
    assert drain(peer) == b"after" and not reactor.writers


def test_a_lost_peer_is_left_to_twisted(tcp_pair):
    transport, peer, reactor = tcp_pair
    peer.close()
    fastsend.write_now(transport, b"x" * 10)  # no exception here: queued for Twisted
    assert reactor.writers and transport._tempDataBuffer == [b"x" * 10]
    assert transport.doWrite() is CONNECTION_LOST  # Twisted's turn: it closes the connection
