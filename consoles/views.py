"""The three surfaces' pages. Each is a shell that opens its socket; the state comes from there."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, render

from meeting import access
from meeting.errors import ServiceError
from meeting.models import Meeting


def home(request):
    meetings = Meeting.objects.select_related("body").order_by("starts_at")
    can_operate = request.user.has_perm("meeting.operate_meeting")
    return render(request, "consoles/home.html", {"meetings": meetings, "can_operate": can_operate})


class LoginView(auth_views.LoginView):
    template_name = "consoles/login.html"


@login_required
@permission_required("meeting.operate_meeting", raise_exception=True)
def console(request, meeting_id):
    meeting = get_object_or_404(Meeting.objects.select_related("body", "venue"), pk=meeting_id)
    return render(request, "consoles/console.html", {"meeting": meeting, "surface": "console"})


def _device_page(request, meeting_id, kind, template):
    meeting = get_object_or_404(Meeting.objects.select_related("body", "venue"), pk=meeting_id)
    token = request.GET.get("token", "")
    try:
        access.check_token(token, kind, meeting.id)
    except ServiceError as refused:
        return render(request, "consoles/refused.html", {"reason": refused.message, "code": refused.code},
                      status=403)
    return render(request, template, {"meeting": meeting, "token": token, "surface": kind})


def tablet(request, meeting_id):
    return _device_page(request, meeting_id, "tablet", "consoles/tablet.html")


def display(request, meeting_id):
    return _device_page(request, meeting_id, "display", "consoles/display.html")
