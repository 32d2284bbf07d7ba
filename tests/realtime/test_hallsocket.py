"""HallSocket's two hot paths.

- dispatch: a client's frames skip Channels' per-message aclose_old_connections() hop (our
  handlers' database calls clean up their own connections through database_sync_to_async);
  connect and disconnect keep it.
- _send_text (the hub's write of an event): under daphne the frame is built once per event and
  written with autobahn's sendPreparedMessage (consoles/fastsend.py); elsewhere the ASGI send.
"""

import functools

import pytest

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


async def test_frames_skip_the_connection_cleanup_hop_connect_and_disconnect_keep_it(hops):
    sock = Probe()
    sock.seen = []
    frame = {"type": "websocket.receive", "text": '{"type": "ping"}'}
    for _ in range(3):
        await sock.dispatch(frame)
    assert hops == [] and sock.seen == [("receive", frame)] * 3
    await sock.dispatch({"type": "websocket.connect"})
    await sock.dispatch({"type": "websocket.disconnect", "code": 1000})
    assert len(hops) == 2
    assert [kind for kind, _ in sock.seen[3:]] == ["connect", "disconnect"]


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
