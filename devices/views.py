"""HTTP edges of pairing. A device has no session: the one-time code and its signature made
with the key it registers are what let it in, so these JSON endpoints are CSRF-exempt."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from meeting.errors import ServiceError
from meeting.models import Meeting

from . import qr, services

MAX_BODY = 4096


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


def _refusal(refused, status=400):
    return JsonResponse({"error": refused.code, "message": refused.message}, status=status)


def _device_reply(device):
    return {"device": str(device.id), "kind": device.kind, "venue": device.venue_id,
            "seat": device.seat.label if device.seat_id else None}


@csrf_exempt
@require_POST
def pair(request):
    try:
        body = _json_body(request)
        device = services.pair_device(body.get("code"), body.get("public_key"), body.get("signature"),
                                      request.headers.get("User-Agent", ""))
    except ServiceError as refused:
        return _refusal(refused)
    return JsonResponse(_device_reply(device), status=201)


@csrf_exempt
@require_POST
def demo_pair(request):
    if not settings.DEMO:
        raise Http404
    try:
        body = _json_body(request)
        device = services.demo_pair(body.get("kind"), body.get("meeting"), body.get("seat"),
                                    body.get("public_key"), body.get("signature"),
                                    request.headers.get("User-Agent", ""))
    except ServiceError as refused:
        return _refusal(refused)
    return JsonResponse(_device_reply(device), status=201)


def pair_page(request, code):
    """What a device's camera opens from the console's QR: makes its key and pairs."""
    return render(request, "devices/pair.html", {"code": code})


def demo_page(request, kind, meeting_id, seat_id=None):
    if not settings.DEMO:
        raise Http404
    meeting = get_object_or_404(Meeting, pk=meeting_id)
    target = reverse("consoles:tablet" if kind == "tablet" else "consoles:display", args=[meeting.id])
    return render(request, "devices/demo_pair.html",
                  {"kind": kind, "meeting": meeting, "seat_id": seat_id, "next": target})


@login_required
@permission_required("meeting.operate_meeting", raise_exception=True)
@require_POST
def pairing_code(request, meeting_id):
    """The console asks for a code for one seat's tablet (or a display) and shows it as a QR."""
    meeting = get_object_or_404(Meeting, pk=meeting_id)
    kind = request.POST.get("kind", "tablet")
    seat = request.POST.get("seat") or None
    try:
        seat_id = int(seat) if seat is not None else None
    except ValueError:
        return _refusal(ServiceError("no_seat", "座位编号无效"))
    venue_id = int(request.POST.get("venue") or meeting.venue_id)
    try:
        code = services.create_pairing_code(kind, venue_id, seat_id, request.user)
    except ServiceError as refused:
        return _refusal(refused)
    url = request.build_absolute_uri(reverse("devices:pair_page", args=[code]))
    return JsonResponse({"url": url, "svg": qr.svg(url), "expires_in": int(services.PAIRING_TTL.total_seconds())})
