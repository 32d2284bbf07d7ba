"""Small, explicit test data for unit tests that do not need the whole demo congress."""

from datetime import datetime, timezone

from meeting.models import (
    AgendaItem, Body, BodyMembership, Delegation, Meeting, Member, Participant, Seat, SeatAssignment,
    Venue, Zone,
)


def make_meeting(deputies=5, attendees=1, kind=Meeting.Kind.PLENARY, agenda=3, name="测试市人民代表大会"):
    body = Body.objects.create(name=name, kind=Body.Kind.CONGRESS, term=17)
    delegation = Delegation.objects.create(body=body, name="城关区代表团")
    venue = Venue.objects.create(name=f"{name}会场")
    zone = Zone.objects.create(venue=venue, name="池座")
    meeting = Meeting.objects.create(
        body=body, kind=kind, title=f"{name}第一次全体会议", session_number=1, sitting_number=1,
        venue=venue, starts_at=datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc),
    )
    members = []
    for i in range(deputies + attendees):
        is_deputy = i < deputies
        member = Member.objects.create(
            member_number=f"{name[:2]}{i:04d}", name=f"代表{i}",
            kind=Member.Kind.DEPUTY if is_deputy else Member.Kind.ATTENDEE,
            delegation=delegation if is_deputy else None,
        )
        if is_deputy:
            BodyMembership.objects.create(body=body, member=member)
        Participant.objects.create(
            meeting=meeting, member=member,
            role=Participant.Role.VOTING if is_deputy else Participant.Role.NON_VOTING,
        )
        seat = Seat.objects.create(venue=venue, zone=zone, row=1, number=i + 1, label=f"1排{i + 1}号",
                                   x=10 * i, y=10)
        SeatAssignment.objects.create(meeting=meeting, seat=seat, member=member)
        members.append(member)
    for order in range(1, agenda + 1):
        AgendaItem.objects.create(meeting=meeting, order=order, title=f"议程{order}")
    return meeting, members
