from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("devices.urls")),
    path("", include("signin.urls")),
    path("", include("voting.urls")),
    path("", include("consoles.urls")),
]
urlpatterns.append(path("admin/", admin.site.urls))
