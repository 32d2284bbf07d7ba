from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "consoles"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="consoles:home"), name="logout"),
    path("console/<int:meeting_id>/", views.console, name="console"),
    path("tablet/<int:meeting_id>/", views.tablet, name="tablet"),
    path("display/<int:meeting_id>/", views.display, name="display"),
]
