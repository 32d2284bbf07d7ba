"""Sign-in pages and files for staff: the door scanner, a sub-venue's rotating code, the badge
sheet, the console's member search and the exported sign-in record.

Every view needs a logged-in operator (meeting.operate_meeting), except the rotating-code page,
which a hall-display account (meeting.view_hall_display, which operators also hold) may show.
"""

import functools
import json
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from meeting.errors import ServiceError
from meeting.models import Meeting, Participant, SubVenue
from meeting.services import audit

from . import codes, export, pdf, selectors, services

MAX_BODY = 4096
ROSTER_LIMIT = 50


def staff_only(perm="meeting.operate_meeting", as_json=False):
    """Logged in with ``perm``, and the meeting exists; JSON endpoints answer 403 instead of redirecting."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, meeting_id, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                if as_json:
                    return _refusal(ServiceError("login_required", "请先以操作员身份登录"), 403)
                return redirect_to_login(request.get_full_path())
            if not user.has_perm(perm):
                if as_json:
                    return _refusal(ServiceError("wrong_role", "该账号没有主控台操作权限"), 403)
                return HttpResponse("该账号没有此页面的权限", status=403, content_type="text/plain; charset=utf-8")
            meeting = get_object_or_404(Meeting.objects.select_related("body", "venue"), pk=meeting_id)
            return view(request, meeting, *args, **kwargs)

        return wrapped

    return decorate


def _refusal(refused, status=400):
    return JsonResponse({"ok": False, "error": refused.code, "message": refused.message}, status=status)


def _json_body(request):
    if len(request.body) > MAX_BODY:
        raise ServiceError("too_large", "请求过大")
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise ServiceError("malformed", "请求不是有效的 JSON") from None
    if not isinstance(body, dict):
        raise ServiceError("malformed", "请求必须是 JSON 对象")
    return body


def qr_svg(data):
    """A QR code as inline SVG text (no image library, no file)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


def _attachment(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


def _stamp():
    return timezone.localtime().strftime("%Y%m%d-%H%M")


# ---- the door scanner -------------------------------------------------------------------------------

@staff_only()
@require_GET
def scanner(request, meeting):
    return render(request, "signin/scanner.html", {"meeting": meeting})


@staff_only(as_json=True)
@require_POST
def scan(request, meeting):
    """The scanner page posts {code, place}; answers with who it is, or why not."""
    try:
        body = _json_body(request)
        outcome = services.scan_badge(meeting.id, body.get("code"), body.get("place", ""), request.user)
    except ServiceError as refused:
        return _refusal(refused)
    return JsonResponse({"ok": True, **outcome.reply()})


# ---- console helpers --------------------------------------------------------------------------------

@staff_only(as_json=True)
@require_GET
def roster(request, meeting):
    """Participants matching ?q= (name, number or delegation) with their sign-in status."""
    query = request.GET.get("q", "").strip()[:50]
    rows = selectors.roster(meeting, query=query, limit=ROSTER_LIMIT)
    return JsonResponse({"members": rows, "limit": ROSTER_LIMIT})


# ---- a sub-venue's rotating code -------------------------------------------------------------------

def _sub_venue(meeting, venue_id):
    return get_object_or_404(SubVenue.objects.select_related("venue"), meeting=meeting, venue_id=venue_id)


@staff_only("meeting.view_hall_display")
@require_GET
def venue_code_page(request, meeting, venue_id):
    sub = _sub_venue(meeting, venue_id)
    return render(request, "signin/venue_code.html", {"meeting": meeting, "venue": sub.venue,
                                                      "window_seconds": codes.WINDOW_SECONDS})


@staff_only("meeting.view_hall_display", as_json=True)
@require_GET
def venue_code(request, meeting, venue_id):
    sub = _sub_venue(meeting, venue_id)
    code = codes.venue_code(meeting.id, sub.venue_id)
    response = JsonResponse({"code": code, "svg": qr_svg(code), "seconds_left": round(codes.seconds_left(), 2),
                             "venue": sub.venue.name})
    response["Cache-Control"] = "no-store"
    return response


# ---- files ---------------------------------------------------------------------------------------

def _badge_members(meeting, member_id=None):
    participants = (Participant.objects.filter(meeting=meeting)
                    .select_related("member", "member__delegation")
                    .order_by("-role", "member__delegation__order", "member__member_number"))
    if member_id is not None:
        participants = participants.filter(member_id=member_id)
    return [p.member for p in participants]


@staff_only()
@require_GET
def badges_pdf(request, meeting):
    """All participants' badges with their current personal codes (?member=ID: one member's)."""
    member_id = request.GET.get("member")
    if member_id is not None:
        if not member_id.isdigit():
            return HttpResponse("人员编号无效", status=400, content_type="text/plain; charset=utf-8")
        member_id = int(member_id)
    members = _badge_members(meeting, member_id)
    if member_id is not None and not members:
        return HttpResponse("该人员不在本次会议的参会名单中", status=404, content_type="text/plain; charset=utf-8")
    content = pdf.badge_sheet(meeting, members)
    audit(meeting, request.user, "signin.badges", count=len(members), member=member_id)
    return _attachment(content, "application/pdf", f"代表码-{meeting.id}-{_stamp()}.pdf")


@staff_only()
@require_GET
def record_pdf(request, meeting):
    content = pdf.signin_record(meeting, selectors.roster(meeting), selectors.attendance(meeting))
    audit(meeting, request.user, "signin.export", format="pdf")
    return _attachment(content, "application/pdf", f"签到记录-{meeting.id}-{_stamp()}.pdf")


@staff_only()
@require_GET
def record_xlsx(request, meeting):
    content = export.signin_workbook(meeting, selectors.roster(meeting), selectors.attendance(meeting))
    audit(meeting, request.user, "signin.export", format="xlsx")
    return _attachment(content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       f"签到记录-{meeting.id}-{_stamp()}.xlsx")

