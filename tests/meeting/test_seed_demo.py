"""seed_demo builds a believable congress, leaves an existing one alone, and hall_urls links into it."""

import io
import stat
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from meeting.management.commands import seed_demo
from meeting.models import (
    AgendaItem, AuditEntry, Body, BodyMembership, Delegation, Meeting, Member, Notice, Participant, Seat,
    SeatAssignment, Venue, Zone,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path):
    # The credentials file must not land in the developer's var/; a fast hasher keeps tests quick.
    settings.VAR_DIR = tmp_path
    settings.DEMO = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def congress():
    return Body.objects.get(name=seed_demo.CONGRESS_NAME, term=seed_demo.TERM)


def plenary():
    return Meeting.objects.get(body=congress(), kind=Meeting.Kind.PLENARY)


def standing_meeting():
    return Meeting.objects.get(body__parent=congress(), kind=Meeting.Kind.STANDING)


def snapshot():
    """Everything a re-run could plausibly change, in comparable form."""
    users = {u.username: u.password for u in get_user_model().objects.all()}
    return (
        list(Member.objects.values_list("id", "member_number", "name", "organisation")),
        list(Seat.objects.values_list("id", "label", "x", "y")),
        list(SeatAssignment.objects.values_list("meeting_id", "seat_id", "member_id")),
        list(Meeting.objects.values_list("id", "title", "starts_at")),
        list(AgendaItem.objects.values_list("id", "title", "details")),
        list(BodyMembership.objects.values_list("body_id", "member_id", "title")),
        users,
    )


def test_default_congress_has_600_deputies_in_12_delegations_and_45_standing_members():
    seed()
    body = congress()
    deputies = Member.objects.filter(kind=Member.Kind.DEPUTY)
    assert deputies.count() == 600
    assert body.delegations.count() == 12
    assert all(d.members.exists() for d in body.delegations.all())
    assert Delegation.objects.filter(body=body, name="解放军代表团").exists()
    assert body.memberships.count() == 600
    assert len(set(deputies.values_list("member_number", flat=True))) == 600
    assert set(deputies.values_list("gender", flat=True)) == {"M", "F"}
    assert not deputies.filter(organisation="").exists()

    standing = Body.objects.get(parent=body, kind=Body.Kind.STANDING_COMMITTEE)
    titles = list(standing.memberships.values_list("title", flat=True))
    assert len(titles) == 45
    assert titles.count("主任") == 1 and titles.count("秘书长") == 1 and titles.count("副主任") >= 2
    assert not standing.memberships.exclude(member__kind=Member.Kind.DEPUTY).exists()
    assert 15 <= Member.objects.filter(kind=Member.Kind.ATTENDEE).count() <= 25


def test_plenary_calls_every_deputy_and_seats_every_participant():
    seed()
    meeting = plenary()
    voting = meeting.participants.filter(role=Participant.Role.VOTING)
    assert voting.count() == Member.objects.filter(kind=Member.Kind.DEPUTY).count() == 600
    assert not voting.exclude(member__kind=Member.Kind.DEPUTY).exists()
    assert meeting.participants.filter(role=Participant.Role.NON_VOTING).count() == \
        Member.objects.filter(kind=Member.Kind.ATTENDEE).count()

    assignments = meeting.seat_assignments.select_related("seat__zone", "member")
    assert assignments.count() == meeting.participants.count()
    assert len({a.seat_id for a in assignments}) == assignments.count()
    assert {a.member_id for a in assignments} == set(meeting.participants.values_list("member_id", flat=True))
    chair = BodyMembership.objects.get(body__kind=Body.Kind.STANDING_COMMITTEE, title="主任").member
    by_member = {a.member_id: a.seat for a in assignments}
    assert by_member[chair.id].zone.kind == Zone.Kind.PRESIDIUM
    assert {a.seat.zone.kind for a in assignments if a.member.kind == Member.Kind.ATTENDEE} == {Zone.Kind.OBSERVERS}
    assert meeting.venue.name == seed_demo.MAIN_HALL
    assert meeting.venue.seats.filter(zone__kind=Zone.Kind.FLOOR).count() >= 600
    assert meeting.venue.zones.filter(kind=Zone.Kind.PRESIDIUM).exists()
    assert Venue.objects.filter(parent=meeting.venue).exists()
    assert meeting.sub_venues.exists()

    starts = timezone.localtime(meeting.starts_at, SHANGHAI)
    assert starts.time() == time(9) and starts.date() == (timezone.now().astimezone(SHANGHAI) + timedelta(days=1)).date()


def test_seats_are_drawable_inside_their_venue():
    seed("--deputies", "40", "--standing", "15")
    for venue in Venue.objects.all():
        for x, y in venue.seats.values_list("x", "y"):
            assert 0 <= x <= venue.width and 0 <= y <= venue.height
        assert len(set(venue.seats.values_list("x", "y"))) == venue.seats.count()


def test_plenary_agenda_has_budget_resolution_nominees_and_livelihood_projects():
    seed("--deputies", "40", "--standing", "15")
    agenda = list(plenary().agenda.all())
    assert [item.order for item in agenda] == [1, 2, 3, 4, 5]
    budget = [i for i in agenda if i.kind == AgendaItem.Kind.RESOLUTION]
    assert len(budget) == 1 and "预算" in budget[0].title
    appointment = next(i for i in agenda if i.kind == AgendaItem.Kind.APPOINTMENT)
    nominees = appointment.details["nominees"]
    assert len(nominees) == 5 and all(n["name"] and n["post"] for n in nominees)
    livelihood = next(i for i in agenda if i.kind == AgendaItem.Kind.LIVELIHOOD)
    assert len(livelihood.details["candidates"]) == 15
    assert livelihood.details["choose"] == 10


def test_standing_meeting_calls_component_members_and_some_attendees():
    seed("--deputies", "40", "--standing", "15")
    meeting = standing_meeting()
    voting = set(meeting.participants.filter(role=Participant.Role.VOTING).values_list("member_id", flat=True))
    members = set(BodyMembership.objects.filter(body=meeting.body).values_list("member_id", flat=True))
    assert voting == members and len(voting) == 15
    assert 1 <= meeting.participants.filter(role=Participant.Role.NON_VOTING).count() <= 8
    assert meeting.seat_assignments.count() == meeting.participants.count()
    kinds = set(meeting.agenda.values_list("kind", flat=True))
    assert {AgendaItem.Kind.RESOLUTION, AgendaItem.Kind.APPOINTMENT} <= kinds
    assert timezone.localtime(meeting.starts_at, SHANGHAI).time() == time(9)


@pytest.mark.parametrize("deputies, standing", [(40, 15), (12, 3), (5, 5)])
def test_small_congress(deputies, standing):
    seed("--deputies", str(deputies), "--standing", str(standing))
    assert Member.objects.filter(kind=Member.Kind.DEPUTY).count() == deputies
    assert plenary().participants.filter(role=Participant.Role.VOTING).count() == deputies
    assert standing_meeting().participants.filter(role=Participant.Role.VOTING).count() == standing
    assert Meeting.objects.count() == 2
    for meeting in Meeting.objects.all():
        assert meeting.seat_assignments.count() == meeting.participants.count()


def test_second_run_changes_nothing(demo_settings):
    seed("--deputies", "40", "--standing", "15")
    before = snapshot()
    credentials = (demo_settings.VAR_DIR / seed_demo.CREDENTIALS_FILE).read_text()
    out = seed("--deputies", "40", "--standing", "15")
    assert "已存在" in out
    assert snapshot() == before
    assert (demo_settings.VAR_DIR / seed_demo.CREDENTIALS_FILE).read_text() == credentials


def test_names_are_deterministic():
    seed("--deputies", "40", "--standing", "15")
    names = list(Member.objects.order_by("member_number").values_list("member_number", "name", "organisation"))
    seed("--deputies", "40", "--standing", "15", "--reset")
    assert list(Member.objects.order_by("member_number").values_list("member_number", "name", "organisation")) == names


def test_credentials_file_is_private_and_its_passwords_work(demo_settings):
    out = seed("--deputies", "40", "--standing", "15")
    path = demo_settings.VAR_DIR / seed_demo.CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    passwords = seed_demo.read_credentials()
    assert set(passwords) == {"operator", "admin"}
    for username, password in passwords.items():
        assert password in out
        user = authenticate(username=username, password=password)
        assert user is not None and user.is_staff and not user.is_superuser
    assert get_user_model().objects.get(username="operator").has_perm("meeting.operate_meeting")
    assert not get_user_model().objects.get(username="operator").has_perm("meeting.add_member")
    assert get_user_model().objects.get(username="admin").has_perm("meeting.add_member")


def test_reset_rebuilds_over_recorded_activity_and_regenerates_passwords():
    seed("--deputies", "40", "--standing", "15")
    old = seed_demo.read_credentials()
    operator = get_user_model().objects.get(username="operator")
    meeting = plenary()
    # Records that protect the meeting and a member from deletion, as a real rehearsal leaves.
    AuditEntry.objects.create(meeting=meeting, actor=operator, action="meeting.open")
    Notice.objects.create(meeting=meeting, member=meeting.participants.first().member, text="请入座", sent_by=operator)

    seed("--deputies", "50", "--standing", "12", "--reset")
    assert Member.objects.filter(kind=Member.Kind.DEPUTY).count() == 50
    assert BodyMembership.objects.filter(body__kind=Body.Kind.STANDING_COMMITTEE).count() == 12
    assert Meeting.objects.count() == 2
    new = seed_demo.read_credentials()
    assert new["operator"] != old["operator"] and new["admin"] != old["admin"]
    assert authenticate(username="operator", password=new["operator"]) is not None
    assert authenticate(username="operator", password=old["operator"]) is None


def test_refuses_outside_demo_mode(demo_settings):
    demo_settings.DEMO = False
    with pytest.raises(CommandError):
        seed("--deputies", "40")
    assert not Body.objects.exists()


def test_refuses_more_standing_members_than_deputies():
    with pytest.raises(CommandError):
        seed("--deputies", "10", "--standing", "20")


def test_hall_urls_link_to_both_meetings_with_demo_pairing_pages():
    seed("--deputies", "40", "--standing", "15")
    out = io.StringIO()
    call_command("hall_urls", "--host", "127.0.0.1", "--port", "8123", stdout=out)
    text = out.getvalue()
    passwords = seed_demo.read_credentials()
    assert passwords["operator"] in text and "http://127.0.0.1:8123/admin/" in text
    # Every tablet and display link is a demo pairing page and carries no credentials of its own.
    links = [word[word.index("http"):] for word in text.split() if "http" in word]
    surface_links = [link for link in links if "/tablet/" in link or "/display/" in link]
    assert len(surface_links) == 6 and all("/demo/" in link and "?" not in link for link in surface_links)
    for meeting in (plenary(), standing_meeting()):
        assert f"http://127.0.0.1:8123/console/{meeting.id}/" in text
        seats = [int(line.rstrip("/").rsplit("/", 1)[1]) for line in text.split()
                 if f"/demo/tablet/{meeting.id}/" in line]
        assert len(seats) == 2
        first_floor = SeatAssignment.objects.filter(meeting=meeting, seat__zone__kind=Zone.Kind.FLOOR) \
            .order_by("seat__row", "seat__number").first()
        assert seats[0] == first_floor.seat_id  # a seated member's tablet: demo pairing binds them
        assert all(SeatAssignment.objects.filter(meeting=meeting, seat_id=s).exists() for s in seats)
        assert f"http://127.0.0.1:8123/demo/display/{meeting.id}/" in text


def test_hall_urls_outside_demo_mode_prints_no_demo_links(demo_settings):
    seed("--deputies", "40", "--standing", "15")
    demo_settings.DEMO = False
    out = io.StringIO()
    call_command("hall_urls", "--host", "0.0.0.0", "--port", "8000", stdout=out)
    text = out.getvalue()
    assert "/admin/" in text and "disabled" in text
    assert "/demo/" not in text and "/tablet/" not in text and "/display/" not in text and "/console/" not in text
    assert seed_demo.read_credentials()["operator"] not in text
