"""Request handlers by domain. Each module registers ``async def fn(socket, message)`` for the
views that may send that request type; the sockets look them up in registry."""

from . import devices, meeting, signin, voting  # noqa: F401  (registration)
