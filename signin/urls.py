from django.urls import path

from . import views

app_name = "signin"

urlpatterns = [
    path("console/<int:meeting_id>/scanner/", views.scanner, name="scanner"),
    path("console/<int:meeting_id>/scanner/scan/", views.scan, name="scan"),
    path("console/<int:meeting_id>/signin/members/", views.roster, name="roster"),
    path("console/<int:meeting_id>/badges.pdf", views.badges_pdf, name="badges_pdf"),
    path("console/<int:meeting_id>/signin.pdf", views.record_pdf, name="record_pdf"),
    path("console/<int:meeting_id>/signin.xlsx", views.record_xlsx, name="record_xlsx"),
    path("display/<int:meeting_id>/venue-code/<int:venue_id>/", views.venue_code_page, name="venue_code_page"),
    path("display/<int:meeting_id>/venue-code/<int:venue_id>/code/", views.venue_code, name="venue_code"),
]
