"""A poll's life from the console: prepare, open, pause, resume, close, announce, cancel, and the
hand-count fallback. Each is one transaction, audited, publishing what each view may see."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meeting.errors import ServiceError
from meeting.events import publish_by_view
from meeting.models import AgendaItem, Meeting
from meeting.services import audit

from . import canonical, eligibility, results, state
from .models import BallotEntry, HandCount, Poll, Turnout

MAX_COUNTDOWN = 3600
ACTIVE = (Poll.State.OPEN, Poll.State.PAUSED)


def _poll(poll_id, meeting_id):
    if not isinstance(poll_id, int) or isinstance(poll_id, bool):
        raise ServiceError("bad_request", _("表决编号无效"))
    poll = Poll.objects.select_for_update().select_related("meeting").filter(pk=poll_id, meeting_id=meeting_id).first()
    if poll is None:
        raise ServiceError("no_poll", _("本次会议没有这项表决"))
    return poll


def _publish(poll, fresh=False, progress=None):
    """Every view's picture after a change. ``fresh``: the poll just came on screen and nobody has
    voted in it, so every tablet's own ``my_vote`` is the same and can go out in one event.
    ``progress``: the shown poll's figures when the caller has them already (open_poll does).
    Tablets get no ``poll_progress`` (voting.state.PROGRESS_VIEWS)."""
    meeting_id = poll.meeting_id
    shown = state.current_poll(meeting_id)
    if progress is None or shown is None or shown.id != progress["poll"]:
        progress = state.progress(shown) if shown else None
    tablet = {"poll": state.poll_for_view(shown, "tablet")}
    if fresh:
        tablet["my_vote"] = {"poll": poll.id, "voted": False}
    display = {"poll": state.poll_for_view(shown, "display"), "poll_progress": progress}
    console = {"poll": state.poll_for_view(shown, "console"), "poll_progress": progress,
               "polls": state.poll_list(meeting_id), "not_voted": state.console_not_voted(shown)}
    publish_by_view(meeting_id, "poll.changed", {"tablet": tablet, "display": display, "console": console})


def _check_threshold(base, comparison, numerator, denominator):
    if base not in Poll.Base.values or comparison not in Poll.Comparison.values:
        raise ServiceError("bad_threshold", _("通过规则无效"))
    for n in (numerator, denominator):
        if not isinstance(n, int) or isinstance(n, bool) or not 0 < n <= 1000:
            raise ServiceError("bad_threshold", _("通过比例无效"))
    if numerator > denominator or (comparison == "more_than" and numerator == denominator):
        raise ServiceError("bad_threshold", _("通过比例无效"))


def _check_nominees(nominees):
    if not isinstance(nominees, list) or not 1 <= len(nominees) <= 50:
        raise ServiceError("bad_nominees", _("逐人表决需要1到50名被提名人"))
    clean, seen = [], set()
    for i, n in enumerate(nominees, start=1):
        if not isinstance(n, dict) or not isinstance(n.get("name"), str) or not n["name"].strip():
            raise ServiceError("bad_nominees", _("第%(n)d名被提名人缺少姓名") % {"n": i})
        clean.append({"id": i, "name": n["name"].strip()[:64], "post": str(n.get("post", "")).strip()[:100]})
        seen.add(clean[-1]["name"])
    return clean


@transaction.atomic
def prepare_poll(meeting_id, item_id, actor, kind="motion", title=None, nominees=None, anonymous=True,
                 allow_change=False, countdown_seconds=None, threshold=None):
    # Locked before reading: the poll list published below must include a poll another process
    # prepares meanwhile (PostgreSQL does not serialise writers as SQLite does).
    meeting = Meeting.objects.select_for_update().filter(pk=meeting_id).first()
    if meeting is None:
        raise ServiceError("no_meeting", _("会议不存在"))
    item = AgendaItem.objects.filter(pk=item_id, meeting=meeting).first() if isinstance(item_id, int) else None
    if item is None:
        raise ServiceError("no_item", _("本次会议没有这项议程"))
    if kind not in Poll.Kind.values:
        raise ServiceError("bad_kind", _("不支持这种表决方式"))
    if title is None:
        title = item.title
    if not isinstance(title, str) or not title.strip() or len(title) > 300:
        raise ServiceError("bad_title", _("请填写表决事项（不超过300字）"))
    if kind == "appointment":
        if nominees is None:
            nominees = item.details.get("nominees", [])
        nominees = _check_nominees(nominees)
    else:
        nominees = []
    if not isinstance(anonymous, bool) or not isinstance(allow_change, bool):
        raise ServiceError("bad_request", _("选项无效"))
    if countdown_seconds is not None and (not isinstance(countdown_seconds, int) or isinstance(countdown_seconds, bool)
                                          or not 10 <= countdown_seconds <= MAX_COUNTDOWN):
        raise ServiceError("bad_countdown", _("倒计时应在10秒到1小时之间"))
    if threshold is None:
        # The law's default; a constitutional amendment (marked on the agenda item) needs two-thirds.
        threshold = {"base": "entitled", "comparison": "more_than", "numerator": 1, "denominator": 2}
        if item.details.get("constitutional"):
            threshold = {"base": "entitled", "comparison": "at_least", "numerator": 2, "denominator": 3}
    if not isinstance(threshold, dict):
        raise ServiceError("bad_threshold", _("通过规则无效"))
    _check_threshold(threshold.get("base"), threshold.get("comparison"), threshold.get("numerator"),
                     threshold.get("denominator"))
    poll = Poll.objects.create(
        meeting=meeting, agenda_item=item, kind=kind, title=title.strip(), nominees=nominees,
        threshold_base=threshold["base"], threshold_comparison=threshold["comparison"],
        threshold_numerator=threshold["numerator"], threshold_denominator=threshold["denominator"],
        anonymous=anonymous, allow_change=allow_change, countdown_seconds=countdown_seconds,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit(meeting, actor, "poll.prepare", poll=poll.id, kind=kind, anonymous=anonymous)
    publish_by_view(meeting.id, "poll.prepared", {"console": {"polls": state.poll_list(meeting.id)}})
    return poll


@transaction.atomic
def open_poll(meeting_id, poll_id, actor):
    poll = _poll(poll_id, meeting_id)
    if poll.state != Poll.State.PREPARED:
        raise ServiceError("not_prepared", _("只有已准备的表决可以开始；需要重新表决请新建一项"))
    if poll.meeting.state != Meeting.State.OPEN:
        raise ServiceError("meeting_not_open", _("会议尚未开始"))
    if Poll.objects.filter(meeting_id=meeting_id, state__in=ACTIVE).exists():
        raise ServiceError("another_open", _("另一项表决正在进行"))
    reached, present, entitled, needed = eligibility.quorum(meeting_id)
    if not reached:
        raise ServiceError("no_quorum", _("实到%(present)d人，未达到法定人数（需%(needed)d人），不能开始表决")
                           % {"present": present, "needed": needed})
    now = timezone.now()
    poll.state = Poll.State.OPEN
    poll.opened_at = now
    poll.closes_at = now + timedelta(seconds=poll.countdown_seconds) if poll.countdown_seconds else None
    poll.save(update_fields=["state", "opened_at", "closes_at"])
    Turnout.objects.create(poll=poll)
    audit(poll.meeting, actor, "poll.open", poll=poll.id, present=present, entitled=entitled)
    # Nobody has voted yet, so the progress figures are the quorum's (voting.state.progress would
    # read the 3,000 signed-in ids and count 应到 again before the open event could leave).
    _publish(poll, fresh=True, progress={"poll": poll.id, "voted": 0, "signed_in": present, "entitled": entitled})
    if poll.closes_at:
        from .timers import schedule_close

        transaction.on_commit(lambda: schedule_close(poll.meeting_id, poll.id, poll.closes_at))
    return poll


@transaction.atomic
def pause_poll(meeting_id, poll_id, actor):
    poll = _poll(poll_id, meeting_id)
    if poll.state != Poll.State.OPEN:
        raise ServiceError("not_open", _("表决不在进行中"))
    now = timezone.now()
    poll.state = Poll.State.PAUSED
    poll.remaining_at_pause = (poll.closes_at - now).total_seconds() if poll.closes_at else None
    poll.closes_at = None
    poll.save(update_fields=["state", "remaining_at_pause", "closes_at"])
    audit(poll.meeting, actor, "poll.pause", poll=poll.id)
    _publish(poll)
    return poll


@transaction.atomic
def resume_poll(meeting_id, poll_id, actor):
    poll = _poll(poll_id, meeting_id)
    if poll.state != Poll.State.PAUSED:
        raise ServiceError("not_paused", _("表决没有暂停"))
    poll.state = Poll.State.OPEN
    if poll.remaining_at_pause is not None:
        poll.closes_at = timezone.now() + timedelta(seconds=max(poll.remaining_at_pause, 0))
    poll.remaining_at_pause = None
    poll.save(update_fields=["state", "closes_at", "remaining_at_pause"])
    audit(poll.meeting, actor, "poll.resume", poll=poll.id)
    _publish(poll)
    if poll.closes_at:
        from .timers import schedule_close

        transaction.on_commit(lambda: schedule_close(poll.meeting_id, poll.id, poll.closes_at))
    return poll


def _freeze(poll, result):
    poll.result = result
    poll.entitled_at_close = result["entitled"]
    poll.present_at_close = result["signed_in"]
    poll.result_signature = results.sign_result(poll, result)


@transaction.atomic
def close_poll(meeting_id, poll_id, actor, reason="console"):
    poll = _poll(poll_id, meeting_id)
    if poll.state not in ACTIVE:
        raise ServiceError("not_open", _("表决不在进行中"))
    entries = list(BallotEntry.objects.filter(poll=poll).order_by("position"))
    choices = results.live_choices(entries)
    voted = set(state.turnout_ids(poll))
    signed_in = len(eligibility.present_voting_member_ids(meeting_id) | voted)
    entitled = eligibility.entitled_count(meeting_id)
    poll.state = Poll.State.CLOSED
    poll.closed_at = timezone.now()
    poll.closes_at = None
    _freeze(poll, {**results.tally(poll, choices, signed_in, entitled), "hand_counted": False})
    poll.save(update_fields=["state", "closed_at", "closes_at", "result", "entitled_at_close", "present_at_close",
                             "result_signature"])
    audit(poll.meeting, actor, "poll.close", poll=poll.id, reason=reason, ballots=len(choices))
    _publish(poll)
    return poll


@transaction.atomic
def announce_poll(meeting_id, poll_id, actor):
    poll = _poll(poll_id, meeting_id)
    if poll.state != Poll.State.CLOSED:
        raise ServiceError("not_closed", _("表决结束后才能宣布结果"))
    poll.state = Poll.State.ANNOUNCED
    poll.announced_at = timezone.now()
    poll.save(update_fields=["state", "announced_at"])
    audit(poll.meeting, actor, "poll.announce", poll=poll.id)
    _publish(poll)
    return poll


@transaction.atomic
def cancel_poll(meeting_id, poll_id, reason, actor):
    poll = _poll(poll_id, meeting_id)
    if poll.state not in (Poll.State.PREPARED, *ACTIVE):
        raise ServiceError("not_cancellable", _("已结束的表决不能取消；如有错误请重新表决"))
    if not isinstance(reason, str) or not reason.strip():
        raise ServiceError("reason_required", _("请说明取消原因"))
    poll.state = Poll.State.CANCELLED
    poll.cancelled_reason = reason.strip()[:300]
    poll.closes_at = None
    poll.save(update_fields=["state", "cancelled_reason", "closes_at"])
    audit(poll.meeting, actor, "poll.cancel", poll=poll.id, reason=poll.cancelled_reason)
    _publish(poll)
    return poll


def _hand_ballots(poll, counts):
    """Hand counts as the list of choices the rules tally (one per hand)."""
    def number(value):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100000:
            raise ServiceError("bad_counts", _("票数必须是非负整数"))
        return value

    if not isinstance(counts, dict):
        raise ServiceError("bad_counts", _("票数无效"))
    if poll.kind == "motion":
        choices = []
        for choice in canonical.MOTION_CHOICES:
            choices += [choice] * number(counts.get(choice, 0))
        return choices
    # Appointment: {"<nominee id>": {"for": n, "against": n, "abstain": n}}; hands are counted
    # nominee by nominee, so a "ballot" here is one nominee's mark.
    ballots = []
    for nominee in poll.nominees:
        row = counts.get(str(nominee["id"]), {})
        if not isinstance(row, dict):
            raise ServiceError("bad_counts", _("票数无效"))
        marks = []
        for choice in canonical.MOTION_CHOICES:
            marks += [choice] * number(row.get(choice, 0))
        for i, mark in enumerate(marks):
            if i >= len(ballots):
                ballots.append({})
            ballots[i][str(nominee["id"])] = mark
    return ballots


@transaction.atomic
def record_hand_count(meeting_id, poll_id, counts, note, actor):
    """The chair took the vote by show of hands or paper: record it as such, with who entered it."""
    poll = _poll(poll_id, meeting_id)
    if poll.state not in (Poll.State.PREPARED, *ACTIVE):
        raise ServiceError("not_countable", _("这项表决已经有结果"))
    if not getattr(actor, "pk", None):
        raise ServiceError("login_required", _("人工计票必须由登录的工作人员录入"))
    if poll.log_length:
        raise ServiceError("has_ballots", _("已有电子选票；请取消本项表决后新建一项用人工计票"))
    choices = _hand_ballots(poll, counts)
    present = len(eligibility.present_voting_member_ids(meeting_id))
    entitled = eligibility.entitled_count(meeting_id)
    if len(choices) > present:
        raise ServiceError("too_many", _("计票数（%(n)d）多于实到人数（%(p)d）") % {"n": len(choices), "p": present})
    HandCount.objects.create(poll=poll, counts=counts, entered_by=actor, note=str(note or "")[:300])
    now = timezone.now()
    poll.state = Poll.State.CLOSED
    poll.opened_at = poll.opened_at or now
    poll.closed_at = now
    poll.closes_at = None
    _freeze(poll, {**results.tally(poll, choices, present, entitled), "hand_counted": True,
                   "entered_by": actor.get_full_name() or actor.get_username()})
    fresh = state.current_poll(meeting_id) != poll
    poll.save(update_fields=["state", "opened_at", "closed_at", "closes_at", "result", "entitled_at_close",
                             "present_at_close", "result_signature"])
    audit(poll.meeting, actor, "poll.hand_count", poll=poll.id, counts=counts, note=str(note or "")[:300])
    _publish(poll, fresh=fresh)
    return poll
