"""Sign-in changes. Each runs in one transaction, is audited, and publishes its events there.

Who is signed in reaches the hall coalesced: a sign-in at the door, on a seat tablet or at a
sub-venue publishes only its member's own patch ("my_attendance") and asks the coalescer
(signin.coalesce) to publish the hall-wide figures a moment later. Console actions (the window,
manual sign-in, leave) publish the figures directly.

A refused request raises ServiceError before it writes anything: it changes nothing.
"""

import functools
import inspect
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meeting.errors import ServiceError
from meeting.events import MEMBER, publish, publish_by_view, publish_to_members
from meeting.models import AuditEntry, Meeting, Member, Participant, SeatAssignment, SubVenue
from meeting.services import audit

from . import codes, selectors
from .coalesce import coalescer
from .models import BadgeKey, Leave, SigninRecord, SigninWindow

log = logging.getLogger(__name__)

MAX_REASON = 200
MAX_PLACE = 100


@dataclass
class Outcome:
    """A sign-in: the record, whether this call made it (False: the member had signed in already),
    and who it is, as the scanning screen shows them."""

    record: SigninRecord
    created: bool
    member: dict

    def reply(self):
        return {"already": not self.created, "member": self.member, "signin": selectors.record_state(self.record)}


# ---- helpers ------------------------------------------------------------------------------------

def _meeting(meeting_id, lock=True):
    if isinstance(meeting_id, Meeting):
        meeting_id = meeting_id.pk
    qs = Meeting.objects.select_related("body", "venue")
    if lock:
        qs = qs.select_for_update(of=("self",))  # the meeting row, not its body and venue (shared)
    meeting = qs.filter(pk=meeting_id).first() if _is_id(meeting_id) else None
    if meeting is None:
        raise ServiceError("no_meeting", _("会议不存在"))
    return meeting


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _member_id(value):
    if isinstance(value, Member):
        return value.pk
    if not _is_id(value):
        raise ServiceError("bad_request", _("人员编号无效"))
    return value


def _participant(meeting, member_id):
    participant = (Participant.objects.filter(meeting=meeting, member_id=member_id)
                   .select_related("member", "member__delegation").first())
    refused = _refusal(participant)
    if refused is not None:
        raise refused
    return participant


def _refusal(participant, window=None, signed_in=False):
    """Why this participant (None: not one) may not sign in now, or None. The one statement of
    the rule, for sign_in and for a group of taps (tap_many)."""
    if participant is None:
        return ServiceError("not_participant", _("该人员不在本次会议的参会名单中"))
    if not participant.member.is_active:
        return ServiceError("member_inactive", _("该人员已不在任，不能签到"))
    if window is not None and not signed_in and window.state == SigninWindow.State.NOT_STARTED:
        return ServiceError("signin_not_started", _("签到尚未开始"))
    return None


def _text(value, field, limit, required=False):
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ServiceError("bad_request", _("%(field)s无效") % {"field": field})
    value = value.strip()
    if required and not value:
        raise ServiceError("reason_required", _("请填写%(field)s") % {"field": field})
    if len(value) > limit:
        raise ServiceError("too_long", _("%(field)s不能超过%(n)d个字") % {"field": field, "n": limit})
    return value


def _window(meeting, lock=False):
    qs = SigninWindow.objects.filter(meeting=meeting)
    if lock:
        qs = qs.select_for_update()
    return qs.first() or SigninWindow(meeting=meeting)


def _publish_member(meeting, member_id):
    publish(meeting.id, "signin.mine", {"my_attendance": selectors.my_attendance(meeting, member_id)},
            MEMBER, member_id=member_id)


def _publish_hall(meeting, kind="signin.attendance", seats=True):
    """The hall-wide figures (and the seats to colour) to the screens and the console. A tablet
    shows only whether sign-in is open, so it is told only when the window opens or closes: during a
    hall's sign-in burst the coalesced figures would otherwise go to 3,000 tablets every 0.3 s."""
    figures = selectors.attendance(meeting)
    screens = {"attendance": figures}
    if seats:
        screens["present_seats"] = selectors.present_seats(meeting)
    by_view = {"display": screens, "console": screens}
    if kind == "signin.window":
        by_view["tablet"] = {"attendance": selectors.tablet_attendance(meeting, figures)}
    publish_by_view(meeting.id, kind, by_view)


def _touch_after_commit(meeting_id):
    transaction.on_commit(lambda: coalescer.touch(meeting_id))


# ---- the window ----------------------------------------------------------------------------------

@transaction.atomic
def open_window(meeting_id, actor):
    meeting = _meeting(meeting_id)
    if meeting.state == Meeting.State.CLOSED:
        raise ServiceError("meeting_closed", _("会议已经结束"))
    window = _window(meeting, lock=True)
    if window.state == SigninWindow.State.OPEN:
        raise ServiceError("signin_already_open", _("签到已经开始"))
    reopened = window.state == SigninWindow.State.CLOSED
    window.state = SigninWindow.State.OPEN
    window.opened_at = timezone.now()
    window.closed_at = None
    window.save()
    audit(meeting, actor, "signin.open", reopened=reopened)
    _publish_hall(meeting, "signin.window", seats=False)
    return window


@transaction.atomic
def close_window(meeting_id, actor):
    meeting = _meeting(meeting_id)
    window = _window(meeting, lock=True)
    if window.state != SigninWindow.State.OPEN:
        raise ServiceError("signin_not_open", _("签到不在进行中"))
    window.state = SigninWindow.State.CLOSED
    window.closed_at = timezone.now()
    window.save()
    audit(meeting, actor, "signin.close")
    _publish_hall(meeting, "signin.window", seats=False)
    return window


# ---- signing in ---------------------------------------------------------------------------------

def sign_in(meeting, member, method, place, actor, reason="", device=""):
    """Sign ``member`` in to ``meeting``; idempotent. Call inside a transaction that locked the meeting.

    Returns an Outcome: created False (and the first record) when the member had signed in
    already — no second record, no audit entry, no event. Publishes the member's own patch; the
    caller publishes or coalesces the hall-wide figures.
    """
    if method not in SigninRecord.Method.values:
        raise ValueError(method)
    if meeting.state == Meeting.State.CLOSED:
        raise ServiceError("meeting_closed", _("会议已经结束"))
    member_id = _member_id(member)
    participant = _participant(meeting, member_id)
    card = selectors.member_card(meeting, participant.member)
    existing = SigninRecord.objects.filter(meeting=meeting, member_id=member_id).first()
    if existing is not None:
        return Outcome(existing, False, card)
    window = _window(meeting)
    refused = _refusal(participant, window)
    if refused is not None:
        raise refused
    try:
        with transaction.atomic():
            record = SigninRecord.objects.create(
                meeting=meeting, member_id=member_id, method=method, place=(place or "")[:MAX_PLACE],
                at=timezone.now(), late=window.state == SigninWindow.State.CLOSED,
                actor=actor if getattr(actor, "pk", None) else None, device=(device or "")[:64],
                reason=reason or "",
            )
    except IntegrityError:
        # Signed in a moment ago by another path (PostgreSQL; SQLite serialises writers).
        return Outcome(SigninRecord.objects.get(meeting=meeting, member_id=member_id), False, card)
    audit(meeting, actor, "signin.sign_in", member=member_id, method=method, place=record.place,
          late=record.late, reason=record.reason, device=record.device)
    _publish_member(meeting, member_id)
    return Outcome(record, True, card)


def _coalesced(outcome, meeting):
    if outcome.created:
        _touch_after_commit(meeting.id)
    return outcome


SUSPICIOUS = {"bad_code", "code_revoked", "bad_venue_code", "wrong_meeting", "venue_code_expired"}


def _logged(fn):
    """Log refused codes (forged, revoked, stale) for the staff, without a working code in the log.
    The refusal itself changes nothing: no record, no audit entry, no event."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ServiceError as refused:
            if refused.code in SUSPICIOUS:
                given = signature.bind_partial(*args, **kwargs).arguments
                log.warning("meeting %s: %s refused (%s), code %s", given.get("meeting_id"), fn.__name__,
                            refused.code, codes.fingerprint(given.get("code")))
            raise

    return wrapped


@_logged
@transaction.atomic
def scan_badge(meeting_id, code, place, actor):
    """Door staff scanned a member's personal code (代表码)."""
    place = _text(place, _("签到地点"), MAX_PLACE)
    claim = codes.read_badge(code)
    meeting = _meeting(meeting_id)
    member = Member.objects.filter(pk=claim.member_id).first()
    if member is None:
        raise ServiceError("not_participant", _("该人员不在本次会议的参会名单中"))
    if claim.version != selectors.badge_version(member.id):
        raise ServiceError("code_revoked", _("该代表码已作废，请使用补发的新代表码或由工作人员人工签到"))
    outcome = sign_in(meeting, member.id, SigninRecord.Method.BADGE, place or meeting.venue.name, actor)
    return _coalesced(outcome, meeting)


def tap(meeting_id, member_id, place="", device=""):
    """The member tapped 签到 on their bound seat tablet."""
    outcome = tap_many(meeting_id, [(member_id, place, device)])[0]
    if isinstance(outcome, ServiceError):
        raise outcome
    return outcome


@transaction.atomic
def tap_many(meeting_id, taps):
    """Seat-tablet taps that arrived together, in one transaction (a hall taps 签到 at once).

    ``taps`` is a list of (member_id, place, device). Returns one result per tap, in order: an
    Outcome, or the ServiceError refusing that tap alone (it wrote nothing). The same rules as
    sign_in, with a constant number of statements for the whole group instead of ~17 per tap.
    """
    meeting = _meeting(meeting_id)
    results = [None] * len(taps)
    wanted = {}  # member id -> indexes of its taps
    for i, (member_id, *_rest) in enumerate(taps):
        try:
            wanted.setdefault(_require_bound(member_id), []).append(i)
        except ServiceError as refused:
            results[i] = refused
    if not wanted:
        return results
    if meeting.state == Meeting.State.CLOSED:
        return [r or ServiceError("meeting_closed", _("会议已经结束")) for r in results]
    participants = {p.member_id: p for p in Participant.objects.filter(meeting=meeting, member_id__in=wanted)
                    .select_related("member", "member__delegation")}
    seats = dict(SeatAssignment.objects.filter(meeting=meeting, member_id__in=wanted)
                 .values_list("member_id", "seat__label"))
    existing = {r.member_id: r for r in SigninRecord.objects.filter(meeting=meeting, member_id__in=wanted)}
    window = _window(meeting)
    now = timezone.now()
    new = []
    for member_id, indexes in wanted.items():
        refused = _refusal(participants.get(member_id), window, signed_in=member_id in existing)
        if refused is not None:
            for i in indexes:
                results[i] = refused
            continue
        if member_id not in existing:
            place, device = taps[indexes[0]][1:]
            new.append(SigninRecord(
                meeting=meeting, member_id=member_id, method=SigninRecord.Method.SEAT,
                place=(place or seats.get(member_id) or "")[:MAX_PLACE], at=now,
                late=window.state == SigninWindow.State.CLOSED, device=(device or "")[:64]))
    created = {r.member_id: r for r in SigninRecord.objects.bulk_create(new)}
    AuditEntry.objects.bulk_create(
        AuditEntry(meeting=meeting, action="signin.sign_in",
                   detail={"member": r.member_id, "method": r.method, "place": r.place, "late": r.late,
                           "reason": r.reason, "device": r.device})
        for r in created.values())
    if created:
        mine = selectors.my_attendances(meeting, list(created))
        publish_to_members(meeting.id, "signin.mine", {m: {"my_attendance": mine[m]} for m in created})
        _touch_after_commit(meeting.id)
    for member_id, indexes in wanted.items():
        if results[indexes[0]] is not None:
            continue
        member = participants[member_id].member
        card = selectors.card_of(member, seats.get(member_id))
        first = member_id in created
        record = created.get(member_id) or existing[member_id]
        for n, i in enumerate(indexes):
            results[i] = Outcome(record, first and n == 0, card)
    return results


@_logged
@transaction.atomic
def venue_sign_in(meeting_id, member_id, code, device=""):
    """A member at a sub-venue entered the code on that venue's display into their tablet."""
    member_id = _require_bound(member_id)
    claim = codes.read_venue_code(code, meeting_id)
    meeting = _meeting(meeting_id)
    sub = SubVenue.objects.filter(meeting=meeting, venue_id=claim.venue_id).select_related("venue").first()
    if sub is None:
        raise ServiceError("no_venue", _("该会场不是本次会议的分会场"))
    outcome = sign_in(meeting, member_id, SigninRecord.Method.VENUE, sub.venue.name, None, device=device)
    return _coalesced(outcome, meeting)


def _require_bound(member_id):
    if member_id is None:
        raise ServiceError("not_bound", _("本终端尚未绑定代表，请先登录"))
    return _member_id(member_id)


@transaction.atomic
def manual_sign_in(meeting_id, member_id, reason, actor, place=""):
    """An operator signs a member in by hand; the reason is required and kept."""
    reason = _text(reason, _("人工签到原因"), MAX_REASON, required=True)
    member_id = _member_id(member_id)
    meeting = _meeting(meeting_id)
    outcome = sign_in(meeting, member_id, SigninRecord.Method.MANUAL, place or _("主控台"), actor, reason=reason)
    if outcome.created:
        _publish_hall(meeting)
    return outcome


@transaction.atomic
def record_leave(meeting_id, member_id, reason, actor):
    """Staff record that a member has leave (请假) for this meeting."""
    reason = _text(reason, _("请假事由"), MAX_REASON)
    member_id = _member_id(member_id)
    meeting = _meeting(meeting_id)
    _participant(meeting, member_id)
    if SigninRecord.objects.filter(meeting=meeting, member_id=member_id).exists():
        raise ServiceError("already_signed_in", _("该人员已签到，不能再登记请假"))
    if Leave.objects.filter(meeting=meeting, member_id=member_id).exists():
        raise ServiceError("already_on_leave", _("该人员已登记请假"))
    leave = Leave.objects.create(meeting=meeting, member_id=member_id, reason=reason,
                                 recorded_by=actor if getattr(actor, "pk", None) else None)
    audit(meeting, actor, "signin.leave", member=member_id, reason=reason)
    _publish_member(meeting, member_id)
    _publish_hall(meeting, seats=False)
    return leave


@transaction.atomic
def revoke_badge(meeting_id, member_id, actor):
    """Void every printed code of a member (lost badge); the next badge sheet carries the new one."""
    member_id = _member_id(member_id)
    meeting = _meeting(meeting_id)
    _participant(meeting, member_id)
    key, _created = BadgeKey.objects.select_for_update().get_or_create(member_id=member_id)
    key.version += 1
    key.revoked_at = timezone.now()
    key.save(update_fields=["version", "revoked_at"])
    audit(meeting, actor, "signin.badge_revoke", member=member_id, version=key.version)
    return key.version


@transaction.atomic
def publish_attendance(meeting_id):
    """The coalescer's flush: publish the hall-wide figures and signed-in seats as they are now."""
    meeting = Meeting.objects.select_for_update(of=("self",)).select_related("body", "venue").filter(pk=meeting_id).first()
    if meeting is None:
        return
    _publish_hall(meeting)
