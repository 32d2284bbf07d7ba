from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/tablet/<int:meeting_id>/", consumers.TabletSocket.as_asgi()),
    path("ws/display/<int:meeting_id>/", consumers.DisplaySocket.as_asgi()),
    path("ws/console/<int:meeting_id>/", consumers.ConsoleSocket.as_asgi()),
]
