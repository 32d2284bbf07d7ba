import re

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import path, re_path

from . import views

app_name = "consoles"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="consoles:home"), name="logout"),
    path("console/<int:meeting_id>/", views.console, name="console"),
    path("tablet/", views.tablet_home, name="tablet_home"),
    path("tablet/<int:meeting_id>/", views.tablet, name="tablet"),
    path("display/", views.display_home, name="display_home"),
    path("display/<int:meeting_id>/", views.display, name="display"),
    # daphne serves no static files: the embedded one-process hall serves its own (found by the
    # staticfiles finders). A proxy in front of a bigger installation serves STATIC_ROOT instead.
    re_path(rf"^{re.escape(settings.STATIC_URL.lstrip('/'))}(?P<path>.+)$", serve_static, {"insecure": True}),
]
