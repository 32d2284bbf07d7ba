"""autobahn's eager debug formatting is deferred, and the message is unchanged when it is logged."""

import pprint

from autobahn.websocket import protocol

from consoles import autobahn_debug


def test_debug_arguments_are_formatted_only_when_the_message_is():
    autobahn_debug.install()
    formatted = []

    class Watched(list):
        def __repr__(self):
            formatted.append(1)
            return super().__repr__()

    attrs = Watched([("openHandshakeTimeout", 5, "WebSocketServerFactory")])
    lazy = protocol.pformat(attrs)
    assert formatted == []  # what _connectionMade does for every connection now costs nothing
    assert "\n{attrs}".format(attrs=lazy) == "\n" + pprint.pformat(attrs)  # what a debug log would print
    assert str(lazy) == pprint.pformat(attrs)


def test_timings_still_print_as_text():
    autobahn_debug.install()
    timings = protocol.Timings()
    timings.track("onOpen")
    assert isinstance(str(timings), str) and "onOpen" in str(timings)
