"""State changes of a meeting. Each runs in one transaction, writes the audit log and publishes
one event; consumers and views call these and nothing else to change a meeting."""

from django.db import transaction
from django.utils.translation import gettext as _

from .errors import ServiceError
from .events import ALL, CONSOLE, MEMBER, TABLETS, publish
from .models import AgendaItem, AuditEntry, Meeting, Notice, Participant
from .state_parts import display_state, meeting_info, notice_list, sent_notice_list

DISPLAY_MODES = ("welcome", "agenda", "message", "signin", "results")
MAX_DISPLAY_TEXT = 500
MAX_NOTICE_TEXT = 500


def _locked_meeting(meeting_id):
    try:
        # of=self: lock the meeting row only, not its body and venue, which other meetings share.
        return Meeting.objects.select_for_update(of=("self",)).select_related("body", "venue").get(pk=meeting_id)
    except Meeting.DoesNotExist:
        raise ServiceError("no_meeting", _("会议不存在")) from None


def audit(meeting, actor, action, **detail):
    AuditEntry.objects.create(
        meeting=meeting, actor=actor if getattr(actor, "pk", None) else None, action=action, detail=detail
    )


@transaction.atomic
def open_meeting(meeting_id, actor):
    meeting = _locked_meeting(meeting_id)
    if meeting.state == Meeting.State.OPEN:
        raise ServiceError("already_open", _("会议已经开始"))
    if meeting.state == Meeting.State.CLOSED:
        raise ServiceError("closed", _("会议已经结束，不能再次开始"))
    meeting.state = Meeting.State.OPEN
    meeting.save(update_fields=["state"])
    audit(meeting, actor, "meeting.open")
    publish(meeting.id, "meeting.state", {"meeting": meeting_info(meeting)}, ALL)
    return meeting


@transaction.atomic
def close_meeting(meeting_id, actor):
    meeting = _locked_meeting(meeting_id)
    if meeting.state != Meeting.State.OPEN:
        raise ServiceError("not_open", _("会议尚未开始"))
    meeting.state = Meeting.State.CLOSED
    meeting.save(update_fields=["state"])
    audit(meeting, actor, "meeting.close")
    publish(meeting.id, "meeting.state", {"meeting": meeting_info(meeting)}, ALL)
    return meeting


@transaction.atomic
def set_current_item(meeting_id, item_id, actor):
    meeting = _locked_meeting(meeting_id)
    if meeting.state != Meeting.State.OPEN:
        raise ServiceError("not_open", _("会议尚未开始"))
    if item_id is not None:
        if not isinstance(item_id, int) or isinstance(item_id, bool):
            raise ServiceError("bad_request", _("议程编号无效"))
        if not AgendaItem.objects.filter(pk=item_id, meeting=meeting).exists():
            raise ServiceError("no_item", _("本次会议没有这项议程"))
    meeting.current_item_id = item_id
    meeting.save(update_fields=["current_item"])
    audit(meeting, actor, "agenda.current", item=item_id)
    publish(meeting.id, "agenda.current", {"current_item": item_id}, ALL)
    return meeting


@transaction.atomic
def set_display(meeting_id, mode, text, actor):
    if mode not in DISPLAY_MODES:
        raise ServiceError("bad_mode", _("大屏不支持这种显示内容"))
    if not isinstance(text, str):
        raise ServiceError("bad_request", _("文字内容无效"))
    text = text.strip()
    if len(text) > MAX_DISPLAY_TEXT:
        raise ServiceError("too_long", _("文字不能超过%(n)d个字") % {"n": MAX_DISPLAY_TEXT})
    if mode == "message" and not text:
        raise ServiceError("empty_message", _("请输入要显示的文字"))
    meeting = _locked_meeting(meeting_id)
    meeting.display = {"mode": mode, "text": text if mode == "message" else ""}
    meeting.save(update_fields=["display"])
    audit(meeting, actor, "display.set", mode=mode, text=meeting.display["text"])
    publish(meeting.id, "display.changed", {"display": display_state(meeting)}, ALL)
    return meeting


@transaction.atomic
def send_notice(meeting_id, text, member_id, actor):
    """To every tablet (member_id None) or to one participant's tablet only."""
    if not isinstance(text, str) or not text.strip():
        raise ServiceError("empty_message", _("请输入通知内容"))
    text = text.strip()
    if len(text) > MAX_NOTICE_TEXT:
        raise ServiceError("too_long", _("文字不能超过%(n)d个字") % {"n": MAX_NOTICE_TEXT})
    if member_id is not None and (not isinstance(member_id, int) or isinstance(member_id, bool)):
        raise ServiceError("bad_request", _("收件人无效"))
    meeting = _locked_meeting(meeting_id)
    if member_id is not None and not Participant.objects.filter(meeting=meeting, member_id=member_id).exists():
        raise ServiceError("not_participant", _("该人员不在本次会议的参会名单中"))
    notice = Notice.objects.create(meeting=meeting, member_id=member_id, text=text,
                                   sent_by=actor if getattr(actor, "pk", None) else None)
    audit(meeting, actor, "notice.send", notice=notice.id, member=member_id)
    if member_id is None:
        publish(meeting.id, "notice.hall", {"notices": notice_list(meeting)}, TABLETS)
    else:
        publish(meeting.id, "notice.member", {"my_notices": notice_list(meeting, member_id, everyone=False)},
                MEMBER, member_id=member_id)
    publish(meeting.id, "notice.sent", {"sent_notices": sent_notice_list(meeting)}, CONSOLE)
    return notice
