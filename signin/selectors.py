"""Reading sign-in state: the attendance figures, quorum, the seats to colour, one member's status.

应到 (entitled) = participants with the voting role; 实到 (present) = those of them signed in;
请假 = those of them on leave and not signed in; 缺席 = 应到 − 实到 − 请假; 列席 = non-voting
participants signed in. Quorum is counted by signin.quorum_rule against 应到.
"""

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from meeting.models import Meeting, Participant, SeatAssignment

from . import quorum_rule
from .models import BadgeKey, Leave, SigninRecord, SigninWindow

VOTING = Participant.Role.VOTING
NON_VOTING = Participant.Role.NON_VOTING


def rule_for(meeting):
    """PLENARY for a plenary sitting, STANDING_COMMITTEE (more than half) otherwise."""
    return quorum_rule.PLENARY if meeting.kind == Meeting.Kind.PLENARY else quorum_rule.STANDING_COMMITTEE


def members_word(meeting):
    return "代表" if meeting.kind == Meeting.Kind.PLENARY else "组成人员"


def counts(meeting):
    """{entitled, present, leave, attendees} in one query."""
    signed = SigninRecord.objects.filter(meeting_id=meeting.id, member_id=OuterRef("member_id"))
    on_leave = Leave.objects.filter(meeting_id=meeting.id, member_id=OuterRef("member_id"))
    figures = (
        Participant.objects.filter(meeting_id=meeting.id)
        .annotate(signed=Exists(signed), on_leave=Exists(on_leave))
        .aggregate(
            entitled=Count("pk", filter=Q(role=VOTING)),
            present=Count("pk", filter=Q(role=VOTING, signed=True)),
            leave=Count("pk", filter=Q(role=VOTING, signed=False, on_leave=True)),
            attendees=Count("pk", filter=Q(role=NON_VOTING, signed=True)),
        )
    )
    return figures


def window_of(meeting):
    window = SigninWindow.objects.filter(meeting_id=meeting.id).first()
    return window or SigninWindow(meeting_id=meeting.id)


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def window_state(window):
    return {
        "state": str(SigninWindow.State(window.state).value),
        "state_label": str(SigninWindow.State(window.state).label),
        "opened_at": _iso(window.opened_at),
        "closed_at": _iso(window.closed_at),
    }


def attendance(meeting):
    """The "attendance" part of the state, for every view."""
    c = counts(meeting)
    rule = rule_for(meeting)
    figures = quorum_rule.attendance(c["entitled"], c["present"], c["leave"], c["attendees"], rule=rule)
    return {
        "entitled": figures.entitled,
        "present": figures.present,
        "leave": figures.on_leave,
        "absent": figures.absent,
        "attendees": figures.attendees,
        "quorum": {
            "reached": figures.quorum_reached,
            "needed": figures.needed,
            "rule_label": rule.describe(members_word(meeting)),
        },
        "window": window_state(window_of(meeting)),
    }


def tablet_attendance(meeting, figures=None):
    """The "attendance" part a tablet sees: only the window (the tablet shows no hall figures);
    taken from ``figures`` (attendance(meeting)) when the caller has them already."""
    return {"window": figures["window"] if figures is not None else window_state(window_of(meeting))}


def quorum_reached(meeting):
    """For other apps (a poll cannot open without quorum)."""
    return attendance(meeting)["quorum"]["reached"]


def present_seats(meeting):
    """Ids of the assigned seats of everyone signed in (members and attendees), ascending."""
    signed = SigninRecord.objects.filter(meeting_id=meeting.id).values("member_id")
    return list(
        SeatAssignment.objects.filter(meeting_id=meeting.id, member_id__in=signed)
        .order_by("seat_id").values_list("seat_id", flat=True)
    )


NOT_SIGNED_IN = "not_signed_in"
SIGNED_IN = "signed_in"
ON_LEAVE = "leave"


def record_state(record):
    return {
        "status": SIGNED_IN,
        "method": record.method,
        "method_label": str(SigninRecord.Method(record.method).label),
        "place": record.place,
        "at": _iso(record.at),
        "late": record.late,
    }


def my_attendance(meeting, member_id):
    """The "my_attendance" part of a bound tablet's state."""
    return my_attendances(meeting, [member_id])[member_id]


def my_attendances(meeting, member_ids):
    """my_attendance for many members in two queries (tablets connect in bursts)."""
    records = {r.member_id: r for r in SigninRecord.objects.filter(meeting_id=meeting.id, member_id__in=member_ids)}
    on_leave = set(Leave.objects.filter(meeting_id=meeting.id, member_id__in=member_ids)
                   .values_list("member_id", flat=True))
    return {
        m: record_state(records[m]) if m in records else
        {"status": ON_LEAVE if m in on_leave else NOT_SIGNED_IN, "method": None, "method_label": None,
         "place": None, "at": None, "late": False}
        for m in member_ids
    }


def badge_version(member_id):
    return BadgeKey.objects.filter(member_id=member_id).values_list("version", flat=True).first() or 1


def member_card(meeting, member):
    """Who was scanned, as the door scanner shows them."""
    seat = (SeatAssignment.objects.filter(meeting_id=meeting.id, member_id=member.id)
            .values_list("seat__label", flat=True).first())
    return card_of(member, seat)


def card_of(member, seat):
    """member_card from a member (delegation loaded) and their seat label."""
    return {
        "id": member.id,
        "name": member.name,
        "number": member.member_number,
        "delegation": member.delegation.name if member.delegation_id else "",
        "seat": seat or "",
        "kind": member.kind,
        "kind_label": str(member.get_kind_display()),
    }


def roster(meeting, query="", limit=None):
    """Every participant with their sign-in status, in member-number order (console search, exports)."""
    participants = (
        Participant.objects.filter(meeting_id=meeting.id)
        .select_related("member", "member__delegation").order_by("member__member_number")
    )
    if query:
        participants = participants.filter(
            Q(member__name__contains=query) | Q(member__member_number__icontains=query)
            | Q(member__delegation__name__contains=query)
        )
    if limit:
        participants = participants[:limit]
    participants = list(participants)
    ids = [p.member_id for p in participants]
    records = {r.member_id: r for r in SigninRecord.objects.filter(meeting_id=meeting.id, member_id__in=ids)
               .select_related("actor")}
    leaves = {lv.member_id: lv for lv in Leave.objects.filter(meeting_id=meeting.id, member_id__in=ids)}
    seats = dict(SeatAssignment.objects.filter(meeting_id=meeting.id, member_id__in=ids)
                 .values_list("member_id", "seat__label"))
    rows = []
    for p in participants:
        m = p.member
        record, leave = records.get(m.id), leaves.get(m.id)
        if record is not None:
            status, status_label = SIGNED_IN, "已签到"
        elif leave is not None:
            status, status_label = ON_LEAVE, "请假"
        else:
            status, status_label = NOT_SIGNED_IN, ("缺席" if p.role == VOTING else "未到")
        rows.append({
            "id": m.id,
            "number": m.member_number,
            "name": m.name,
            "delegation": m.delegation.name if m.delegation_id else "",
            "seat": seats.get(m.id, ""),
            "role": p.role,
            "role_label": str(Participant.Role(p.role).label),
            "status": status,
            "status_label": status_label,
            "method": record.method if record else None,
            "method_label": str(SigninRecord.Method(record.method).label) if record else "",
            "place": record.place if record else "",
            "at": _iso(record.at) if record else None,
            "late": bool(record and record.late),
            "reason": (record.reason if record else (leave.reason if leave else "")),
            "actor": (record.actor.get_username() if record and record.actor_id else ""),
        })
    return rows
