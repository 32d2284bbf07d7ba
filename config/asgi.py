import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# A hall's server holds ~500,000 long-lived objects (3,000 sockets and their state); with the
# default thresholds every fan-out's short-lived objects trigger full collections that stall
# the event loop for 0.4-0.9 s (measured with bench/fanout). Collect the young generation less
# often and full collections rarely.
gc.set_threshold(50_000, 20, 100)

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from consoles import autobahn_debug  # noqa: E402
from consoles.routing import websocket_urlpatterns  # noqa: E402

autobahn_debug.install()

# Never worth scanning again: what start-up made (code, settings, URL patterns).
gc.freeze()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
