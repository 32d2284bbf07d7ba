from django.urls import path

from . import views

app_name = "devices"

urlpatterns = [
    path("devices/pair/", views.pair, name="pair"),
    path("devices/demo-pair/", views.demo_pair, name="demo_pair"),
    path("pair/<str:code>/", views.pair_page, name="pair_page"),
    path("demo/tablet/<int:meeting_id>/<int:seat_id>/", views.demo_page, {"kind": "tablet"}, name="demo_tablet"),
    path("demo/display/<int:meeting_id>/", views.demo_page, {"kind": "display"}, name="demo_display"),
    path("console/<int:meeting_id>/pairing-code/", views.pairing_code, name="pairing_code"),
]
