from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.urls import path

from . import consumers


def with_session(app):
    return CookieMiddleware(SessionMiddleware(AuthMiddleware(app)))


websocket_urlpatterns = [
    # Devices prove themselves with their key: no session or user lookup per connect (3,000 at once).
    path("ws/tablet/<int:meeting_id>/", consumers.TabletSocket.as_asgi()),
    path("ws/display/<int:meeting_id>/", consumers.DisplaySocket.as_asgi()),
    # Operators are Django users with a session.
    path("ws/console/<int:meeting_id>/", with_session(consumers.ConsoleSocket.as_asgi())),
]
