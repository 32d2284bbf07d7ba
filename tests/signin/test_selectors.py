"""Attendance figures and quorum through the real selector, with generated participants."""

from datetime import datetime, timezone

import pytest

from meeting.models import Body, Meeting, Member, Participant, Seat, SeatAssignment, Venue, Zone
from signin import selectors
from signin.models import Leave, SigninRecord, SigninWindow

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)


def congress(kind, entitled, present, leave=0, attendees_called=0, attendees_present=0, prefix="Q"):
    """A meeting of ``kind`` with ``entitled`` voting members of whom ``present`` signed in and the
    next ``leave`` are on leave, plus non-voting attendees."""
    body = Body.objects.create(name=f"{prefix}机构", kind=Body.Kind.CONGRESS, term=1)
    venue = Venue.objects.create(name=f"{prefix}会场")
    meeting = Meeting.objects.create(body=body, kind=kind, title=f"{prefix}会议", session_number=1, venue=venue,
                                     starts_at=AT)
    total = entitled + attendees_called
    members = Member.objects.bulk_create(
        Member(member_number=f"{prefix}{i:05d}", name=f"人员{i}",
               kind=Member.Kind.DEPUTY if i < entitled else Member.Kind.ATTENDEE)
        for i in range(total)
    )
    Participant.objects.bulk_create(
        Participant(meeting=meeting, member=m,
                    role=Participant.Role.VOTING if i < entitled else Participant.Role.NON_VOTING)
        for i, m in enumerate(members)
    )
    voting, others = members[:entitled], members[entitled:]
    signed = voting[:present] + others[:attendees_present]
    SigninRecord.objects.bulk_create(
        SigninRecord(meeting=meeting, member=m, method="badge", at=AT) for m in signed)
    Leave.objects.bulk_create(Leave(meeting=meeting, member=m) for m in voting[present:present + leave])
    return meeting, members


@pytest.mark.parametrize("kind, entitled, present, reached", [
    (Meeting.Kind.PLENARY, 600, 400, True),    # exactly two-thirds: 以上 includes the number itself
    (Meeting.Kind.PLENARY, 600, 399, False),
    (Meeting.Kind.PLENARY, 600, 600, True),
    (Meeting.Kind.PLENARY, 601, 400, False),   # 2/3 of 601 is 400.67
    (Meeting.Kind.PLENARY, 601, 401, True),
    (Meeting.Kind.STANDING, 45, 23, True),     # more than half of 45 (22.5)
    (Meeting.Kind.STANDING, 45, 22, False),
    (Meeting.Kind.STANDING, 44, 22, False),    # exactly half is not more than half
    (Meeting.Kind.STANDING, 44, 23, True),
    (Meeting.Kind.CHAIRMEN, 9, 5, True),       # any other meeting: the standing committee's rule
    (Meeting.Kind.CHAIRMEN, 9, 4, False),
])
def test_quorum_at_its_exact_edges(kind, entitled, present, reached):
    meeting, _ = congress(kind, entitled, present)
    attendance = selectors.attendance(meeting)
    assert attendance["entitled"] == entitled and attendance["present"] == present
    assert attendance["quorum"]["reached"] is reached
    assert selectors.quorum_reached(meeting) is reached


def test_needed_and_rule_labels():
    plenary, _ = congress(Meeting.Kind.PLENARY, 600, 0, prefix="P")
    standing, _ = congress(Meeting.Kind.STANDING, 45, 0, prefix="S")
    assert selectors.attendance(plenary)["quorum"] == {
        "reached": False, "needed": 400, "rule_label": "须有全体代表的三分之二以上出席"}
    assert selectors.attendance(standing)["quorum"] == {
        "reached": False, "needed": 23, "rule_label": "须有全体组成人员的过半数出席"}


def test_the_five_figures_are_counted_separately():
    meeting, _ = congress(Meeting.Kind.PLENARY, 30, present=18, leave=4, attendees_called=5, attendees_present=3)
    figures = selectors.attendance(meeting)
    assert {k: figures[k] for k in ("entitled", "present", "leave", "absent", "attendees")} == {
        "entitled": 30, "present": 18, "leave": 4, "absent": 8, "attendees": 3}
    assert figures["quorum"] == {"reached": False, "needed": 20, "rule_label": "须有全体代表的三分之二以上出席"}


def test_attendees_never_count_towards_quorum():
    meeting, _ = congress(Meeting.Kind.STANDING, 10, present=5, attendees_called=20, attendees_present=20)
    figures = selectors.attendance(meeting)
    assert figures["present"] == 5 and figures["attendees"] == 20 and figures["quorum"]["reached"] is False


def test_nobody_entitled_is_never_a_quorum():
    meeting, _ = congress(Meeting.Kind.PLENARY, 0, 0)
    assert selectors.attendance(meeting)["quorum"] == {
        "reached": False, "needed": 1, "rule_label": "须有全体代表的三分之二以上出席"}


def test_records_of_another_meeting_do_not_count():
    first, members = congress(Meeting.Kind.PLENARY, 6, present=6, prefix="A")
    second, _ = congress(Meeting.Kind.PLENARY, 6, present=0, prefix="B")
    Participant.objects.create(meeting=second, member=members[0])
    assert selectors.counts(second) == {"entitled": 7, "present": 0, "leave": 0, "attendees": 0}


def test_the_window_state_starts_not_started():
    meeting, _ = congress(Meeting.Kind.PLENARY, 3, 0)
    assert selectors.attendance(meeting)["window"] == {
        "state": "not_started", "state_label": "未开始", "opened_at": None, "closed_at": None}
    SigninWindow.objects.create(meeting=meeting, state="open", opened_at=AT)
    window = selectors.attendance(meeting)["window"]
    assert window["state"] == "open" and window["state_label"] == "签到中" and window["opened_at"].startswith("2026-11-24T09:00")


def test_present_seats_are_the_assigned_seats_of_everyone_signed_in():
    meeting, members = congress(Meeting.Kind.PLENARY, 4, present=2, attendees_called=2, attendees_present=1)
    zone = Zone.objects.create(venue=meeting.venue, name="池座")
    seats = [Seat.objects.create(venue=meeting.venue, zone=zone, row=1, number=i + 1, label=f"1排{i + 1}号", x=i, y=0)
             for i in range(6)]
    for member, seat in zip(members, reversed(seats)):
        SeatAssignment.objects.create(meeting=meeting, member=member, seat=seat)
    signed = {members[0].id, members[1].id, members[4].id}
    expected = sorted(a.seat_id for a in SeatAssignment.objects.filter(meeting=meeting, member_id__in=signed))
    assert selectors.present_seats(meeting) == expected


def test_roster_lists_each_participant_with_status():
    meeting, members = congress(Meeting.Kind.PLENARY, 3, present=1, leave=1, attendees_called=1)
    rows = {r["id"]: r for r in selectors.roster(meeting)}
    assert [rows[m.id]["status_label"] for m in members] == ["已签到", "请假", "缺席", "未到"]
    assert [r["name"] for r in selectors.roster(meeting, query="人员2")] == ["人员2"]
    assert len(selectors.roster(meeting, limit=2)) == 2
