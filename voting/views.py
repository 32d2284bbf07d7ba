"""Files of a closed poll for the console: the result sheet (PDF) and the ballot-log export (JSON).

Both need a logged-in operator (meeting.operate_meeting); a poll of another meeting is 404, and a
poll that is not closed yet is 409 (its result is not frozen, and its log still grows)."""

import functools
import json
from urllib.parse import quote

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from meeting.errors import ServiceError
from meeting.models import Meeting
from meeting.services import audit

from . import export, pdf
from .models import Poll

OPERATE = "meeting.operate_meeting"


def _text(message, status):
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def operator_poll(view):
    """Logged in with meeting.operate_meeting; the poll belongs to the meeting and is closed."""

    @functools.wraps(view)
    def wrapped(request, meeting_id, poll_id):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perm(OPERATE):
            return _text("该账号没有主控台操作权限", 403)
        meeting = get_object_or_404(Meeting, pk=meeting_id)
        poll = get_object_or_404(Poll.objects.select_related("meeting"), pk=poll_id, meeting=meeting)
        try:
            export.require_closed(poll)
        except ServiceError as refused:
            return _text(f"{refused.message}（当前状态：{Poll.State(poll.state).label}）", 409)
        return view(request, poll)

    return wrapped


def _attachment(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@operator_poll
def result_pdf(request, poll):
    content = pdf.result_sheet(poll)
    audit(poll.meeting, request.user, "poll.export", poll=poll.id, format="pdf")
    return _attachment(content, "application/pdf", f"表决结果-{poll.meeting_id}-{poll.id}.pdf")


@require_GET
@operator_poll
def log_json(request, poll):
    data = export.export_poll(poll)
    content = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    audit(poll.meeting, request.user, "poll.export", poll=poll.id, format="json")
    return _attachment(content, "application/json", f"ballot-log-{poll.meeting_id}-{poll.id}.json")
