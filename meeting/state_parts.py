"""The meeting app's own parts of the snapshot, also used by its services to build patches."""

from django.utils import timezone

from .models import Meeting, SeatAssignment
from .snapshot import register_part, register_personal_part


def meeting_info(meeting):
    return {
        "id": meeting.id,
        "title": meeting.title,
        "kind": meeting.kind,
        "kind_label": str(Meeting.Kind(meeting.kind).label),
        "body": meeting.body.name,
        "venue": meeting.venue.name,
        "starts_at": timezone.localtime(meeting.starts_at).isoformat(),
        "state": meeting.state,
        "state_label": str(Meeting.State(meeting.state).label),
    }


def agenda_list(meeting):
    return [
        {"id": item.id, "order": item.order, "title": item.title, "kind": item.kind}
        for item in meeting.agenda.all()
    ]


def display_state(meeting):
    display = meeting.display or {}
    return {"mode": display.get("mode", "welcome"), "text": display.get("text", "")}


def member_infos(meeting, member_ids):
    """{member id: {id, name, number, delegation, seat}} for the meeting's seating."""
    from .models import Member

    from .models import Participant

    seats = dict(SeatAssignment.objects.filter(meeting=meeting, member_id__in=member_ids)
                 .values_list("member_id", "seat__label"))
    roles = dict(Participant.objects.filter(meeting=meeting, member_id__in=member_ids)
                 .values_list("member_id", "role"))
    rows = Member.objects.filter(pk__in=member_ids).values("id", "name", "member_number", "delegation__name")
    return {
        r["id"]: {"id": r["id"], "name": r["name"], "number": r["member_number"],
                  "delegation": r["delegation__name"] or "", "seat": seats.get(r["id"]),
                  # Non-voting attendees (列席) see no vote buttons.
                  "voting": roles.get(r["id"]) == Participant.Role.VOTING}
        for r in rows
    }


@register_part
def meeting_part(meeting, view):
    return {
        "meeting": meeting_info(meeting),
        "agenda": agenda_list(meeting),
        "current_item": meeting.current_item_id,
        "display": display_state(meeting),
    }


@register_personal_part
def me_part(meeting, member_ids, shared):
    infos = member_infos(meeting, member_ids)
    return {m: {"me": infos.get(m)} for m in member_ids}


NOTICES_SHOWN = 20


def notice_list(meeting, member_id=None, everyone=True):
    """Latest notices, newest first: hall-wide ones (member_id None) or one member's own."""
    from .models import Notice

    qs = Notice.objects.filter(meeting=meeting)
    qs = qs.filter(member__isnull=True) if everyone else qs.filter(member_id=member_id)
    return [
        {"id": n.id, "text": n.text, "at": timezone.localtime(n.sent_at).isoformat()}
        for n in qs.order_by("-id")[:NOTICES_SHOWN]
    ]


def sent_notice_list(meeting):
    from .models import Notice

    qs = Notice.objects.filter(meeting=meeting).select_related("member").order_by("-id")[:NOTICES_SHOWN]
    return [
        {"id": n.id, "text": n.text, "at": timezone.localtime(n.sent_at).isoformat(),
         "to": n.member.name if n.member else None}
        for n in qs
    ]


@register_part
def notices_part(meeting, view):
    if view == "tablet":
        return {"notices": notice_list(meeting)}
    if view == "console":
        return {"sent_notices": sent_notice_list(meeting)}
    return {}


@register_personal_part
def my_notices_part(meeting, member_ids, shared):
    from .models import Notice

    # Most members have none: find who has any in one query, list only theirs.
    with_notices = set(Notice.objects.filter(meeting=meeting, member_id__in=member_ids)
                       .values_list("member_id", flat=True).distinct())
    return {m: {"my_notices": notice_list(meeting, m, everyone=False) if m in with_notices else []}
            for m in member_ids}
