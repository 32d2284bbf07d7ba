"""The three surfaces' pages. Each is a shell that opens its socket; the state comes from there."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Case, When
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from meeting import access
from meeting.errors import ServiceError
from meeting.models import Meeting, SeatAssignment, Zone

DEMO_TABLETS = 3


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
    return render(request, "consoles/console.html",
                  {"meeting": meeting, "surface": "console", "demo_links": _demo_links(meeting)})


def _demo_links(meeting):
    """Signed display and tablet links for trying the hall on one machine: demo mode only."""
    if not (settings.DEMO and getattr(settings, "HUITANG_DEVICE_TOKENS", True)):
        return None

    def link(kind, member_id=None):
        query = urlencode({"token": access.make_token(kind, meeting.id, member_id)})
        return f"{reverse(f'consoles:{kind}', args=[meeting.id])}?{query}"

    # Floor seats (池座) first: that is where most delegates sit.
    seats = (SeatAssignment.objects.filter(meeting=meeting).select_related("member", "seat", "seat__zone")
             .annotate(on_floor=Case(When(seat__zone__kind=Zone.Kind.FLOOR, then=0), default=1))
             .order_by("on_floor", "seat__zone__order", "seat__row", "seat__number")[:DEMO_TABLETS])
    return {
        "display": link("display"),
        "tablets": [{"name": a.member.name, "seat": a.seat.label, "url": link("tablet", a.member_id)} for a in seats],
    }


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
