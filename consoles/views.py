"""The three surfaces' pages. Each is a shell that opens its socket; the state comes from there."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Case, When
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from meeting.models import Meeting, Seat, SeatAssignment, Zone

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
                  {"meeting": meeting, "surface": "console", "demo_links": _demo_links(meeting),
                   "console_data": _console_data(meeting)})


def _console_data(meeting):
    """What the console's panels need beside the socket's state, read once at page load: each agenda
    item's nominees and whether it is a constitutional amendment (a poll's defaults), the nominees of
    the polls already prepared (a hand count names them), and the hall's seats (pairing)."""
    from voting.models import Poll

    items = {
        str(item.id): {"nominees": [{"name": str(n.get("name", "")), "post": str(n.get("post", ""))}
                                    for n in (item.details or {}).get("nominees", []) if isinstance(n, dict)],
                       "constitutional": bool((item.details or {}).get("constitutional"))}
        for item in meeting.agenda.all()
    }
    polls = {str(p["id"]): p["nominees"] for p in Poll.objects.filter(meeting=meeting).values("id", "nominees")}
    seated = dict(SeatAssignment.objects.filter(meeting=meeting).values_list("seat_id", "member__name"))
    seats = [{"id": seat_id, "label": label, "member": seated.get(seat_id, "")}
             for seat_id, label in Seat.objects.filter(venue_id=meeting.venue_id).values_list("id", "label")]
    return {"meeting": meeting.id, "kind": meeting.kind, "items": items, "polls": polls, "seats": seats}


def _demo_links(meeting):
    """Demo pairing pages for trying the hall on one machine (demo mode only): the browser that
    opens one makes its device key, pairs, and goes on to the display or the seat's tablet."""
    if not settings.DEMO:
        return None
    # Floor seats (池座) first: that is where most delegates sit.
    seats = (SeatAssignment.objects.filter(meeting=meeting).select_related("member", "seat", "seat__zone")
             .annotate(on_floor=Case(When(seat__zone__kind=Zone.Kind.FLOOR, then=0), default=1))
             .order_by("on_floor", "seat__zone__order", "seat__row", "seat__number")[:DEMO_TABLETS])
    return {
        "display": reverse("devices:demo_display", args=[meeting.id]),
        "tablets": [{"name": a.member.name, "seat": a.seat.label,
                     "url": reverse("devices:demo_tablet", args=[meeting.id, a.seat_id])} for a in seats],
    }


def _device_page(request, meeting_id, kind, template):
    """A tablet or display shell. A paired device finds its key in the browser and answers the
    socket's challenge (device.js), so the page itself carries no credentials."""
    meeting = get_object_or_404(Meeting.objects.select_related("body", "venue"), pk=meeting_id)
    return render(request, template, {"meeting": meeting, "surface": kind})


def tablet(request, meeting_id):
    return _device_page(request, meeting_id, "tablet", "consoles/tablet.html")


def display(request, meeting_id):
    return _device_page(request, meeting_id, "display", "consoles/display.html")


def _meetings_by_venue():
    """For each venue, its meetings in the order a device there should pick one: in session first,
    then the next to start, then the most recent that ended. A meeting counts for its hall and for
    each of its sub-venues."""
    now = timezone.now()

    def rank(meeting):
        if meeting.state == Meeting.State.OPEN:
            return (0, 0)
        if meeting.state == Meeting.State.SCHEDULED:
            upcoming = meeting.starts_at >= now - timedelta(hours=12)
            return (1, meeting.starts_at.timestamp()) if upcoming else (3, -meeting.starts_at.timestamp())
        return (2, -meeting.starts_at.timestamp())

    by_venue = {}
    for meeting in Meeting.objects.prefetch_related("sub_venues").order_by("id"):
        for venue_id in {meeting.venue_id, *(s.venue_id for s in meeting.sub_venues.all())}:
            by_venue.setdefault(venue_id, []).append(meeting)
    return {
        str(venue_id): [{"id": m.id, "title": m.title, "state": m.state} for m in sorted(meetings, key=rank)]
        for venue_id, meetings in by_venue.items()
    }


def _device_home(request, kind):
    """/tablet/ and /display/: where a device goes after pairing with a console code (it knows its
    venue, not a meeting): the page reads its device from the browser and opens its venue's meeting."""
    return render(request, "consoles/device_home.html",
                  {"kind": kind, "surface": kind, "meetings_by_venue": _meetings_by_venue()})


def tablet_home(request):
    return _device_home(request, "tablet")


def display_home(request):
    return _device_home(request, "display")
