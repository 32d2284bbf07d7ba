from django.urls import path

from . import views

app_name = "voting"

urlpatterns = [
    path("console/<int:meeting_id>/polls/<int:poll_id>/result.pdf", views.result_pdf, name="result_pdf"),
    path("console/<int:meeting_id>/polls/<int:poll_id>/log.json", views.log_json, name="log_json"),
]
