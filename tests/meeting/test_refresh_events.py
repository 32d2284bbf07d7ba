"""Edits in the admin and imports reach the clients (meeting.refresh): for every kind of edit and
every view, snapshot before + the events it published == a fresh snapshot after (Zulip's
test_events idea), the cached snapshot is not stale, an edit nobody can see publishes nothing,
and a closed meeting is left alone."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from meeting import services as meeting_services
from meeting import snapshot
from meeting.importing import assignments, roster
from meeting.models import (
    AgendaItem, AuditEntry, Body, Delegation, Event, Meeting, Member, Participant, Seat, SeatAssignment, SubVenue,
    Venue, Zone,
)
from meeting.refresh import KIND, Refresh, refreshing
from meeting.snapshot import build_snapshot
from signin import services as signin_services
from signin.coalesce import coalescer
from tests.factories import make_meeting
from tests.streams import follow
from voting import services as voting_services
from voting.intake import progress

from . import admin_forms
from .import_support import csv_bytes

pytestmark = pytest.mark.django_db(transaction=True)


class Hall:
    """An open plenary: 5 deputies and an attendee, four of the deputies and the attendee signed
    in, agenda item 2 current, a named poll open on item 1; a member of the body who is not (yet)
    called to it; a spare seat; and a closed meeting of the same body in the same hall."""

    def __init__(self):
        self.meeting, self.members = make_meeting(deputies=5, attendees=1)
        self.operator = get_user_model().objects.create_superuser("admin", password="x" * 12)
        m = self.meeting.id
        self.items = list(self.meeting.agenda.order_by("order"))
        self.zone = Zone.objects.get(venue=self.meeting.venue)
        self.spare_seat = Seat.objects.create(venue=self.meeting.venue, zone=self.zone, row=2, number=1,
                                              label="2排1号", x=10, y=30)
        self.newcomer = Member.objects.create(member_number="NEW0001", name="新代表",
                                              delegation=self.members[0].delegation)
        self.other_venue = Venue.objects.create(name="第二会堂")
        meeting_services.open_meeting(m, self.operator)
        meeting_services.set_current_item(m, self.items[1].id, self.operator)
        signin_services.open_window(m, self.operator)
        for member in self.members[:4] + [self.members[5]]:
            signin_services.manual_sign_in(m, member.id, "测试", self.operator)
        poll = voting_services.prepare_poll(m, self.items[0].id, self.operator, anonymous=False)
        voting_services.open_poll(m, poll.id, self.operator)
        self.closed = Meeting.objects.create(
            body=self.meeting.body, kind=self.meeting.kind, title="已闭幕的会议", session_number=0,
            venue=self.meeting.venue, starts_at=self.meeting.starts_at, state=Meeting.State.CLOSED)
        for member in self.members:
            Participant.objects.create(meeting=self.closed, member=member)
        SeatAssignment.objects.create(meeting=self.closed, member=self.members[0],
                                      seat=SeatAssignment.objects.get(meeting=self.meeting, member=self.members[0]).seat)
        coalescer.flush_pending()
        progress.flush_pending()

    def views(self):
        # Bound tablets (a deputy signed in, one who is not, the attendee), an unbound tablet,
        # the hall display and the console; and the newcomer's tablet once they are called (a
        # tablet serves participants only: any other member's state is nobody's to follow).
        mem = self.members
        tablets = [mem[0].id, mem[2].id, mem[4].id, mem[5].id]
        if Participant.objects.filter(meeting=self.meeting, member=self.newcomer).exists():
            tablets.append(self.newcomer.id)
        return [("tablet", m) for m in tablets] + [("tablet", None), ("display", None), ("console", None)]

    def assignment(self, member):
        return SeatAssignment.objects.get(meeting=self.meeting, member=member)


class _NoTimer:
    def __call__(self, delay, fn):
        pass


@pytest.fixture
def hall(monkeypatch):
    monkeypatch.setattr(coalescer, "scheduler", _NoTimer())
    monkeypatch.setattr(progress, "scheduler", _NoTimer())
    coalescer._pending.clear()
    progress._pending.clear()
    return Hall()


@pytest.fixture
def admin_client(client, hall):
    client.force_login(hall.operator)
    return client


def _change(client, obj, **values):
    form = admin_forms.change_form(client, obj)
    for name, value in values.items():
        form[name] = value
    form.post()


def edit_agenda_title(c, h):
    _change(c, h.items[1], title="关于修改后的议程的说明")


def edit_agenda_order(c, h):
    _change(c, h.items[2], order="9")


def edit_agenda_details(c, h):
    _change(c, h.items[2], details=json.dumps({"nominees": [{"name": "某某", "post": "副主任"}]}))


def delete_current_item(c, h):
    admin_forms.delete(c, h.items[1])


def edit_meeting_with_inlines(c, h):
    form = admin_forms.change_form(c, h.meeting)
    form["title"] = "临时更名的全体会议"
    form["agenda-2-title"] = "在会议页面上改的议程"
    form.add_inline("agenda", order="4", kind="report", title="新增的议程")
    form.post()


def move_meeting_venue(c, h):
    _change(c, h.meeting, venue=str(h.other_venue.pk))


def change_participant_role(c, h):
    _change(c, Participant.objects.get(meeting=h.meeting, member=h.members[2]), role="non_voting")


def add_participant(c, h):
    form = admin_forms.add_form(c, Participant)
    form["meeting"], form["member"], form["role"] = str(h.meeting.pk), str(h.newcomer.pk), "voting"
    form.post()


def delete_participant(c, h):
    admin_forms.delete(c, Participant.objects.get(meeting=h.meeting, member=h.members[4]))


def move_seat(c, h):
    _change(c, h.assignment(h.members[0]), seat=str(h.spare_seat.pk))


def bulk_delete_assignments(c, h):
    admin_forms.delete_selected(c, SeatAssignment, [h.assignment(h.members[0]), h.assignment(h.members[2])])


def rename_member(c, h):
    _change(c, h.members[2], name="改名的代表")


def change_member_phone(c, h):
    _change(c, h.members[2], phone="13800000000")


def move_member_delegation(c, h):
    other = Delegation.objects.create(body=h.meeting.body, name="江北区代表团", order=2)
    _change(c, h.members[0], delegation=str(other.pk))


def rename_delegation(c, h):
    _change(c, h.members[0].delegation, name="城关区代表团（更名）")


def relabel_seat(c, h):
    _change(c, h.assignment(h.members[0]).seat, label="池座1排1号")


def rename_venue(c, h):
    _change(c, h.meeting.venue, name="人民会堂")


def rename_body(c, h):
    _change(c, h.meeting.body, name="测试市第十七届人民代表大会")


def add_sub_venue(c, h):
    form = admin_forms.add_form(c, SubVenue)
    form["meeting"], form["venue"] = str(h.meeting.pk), str(h.other_venue.pk)
    form.post()


EDITS = {f.__name__: f for f in [
    edit_agenda_title, edit_agenda_order, edit_agenda_details, delete_current_item, edit_meeting_with_inlines,
    move_meeting_venue, change_participant_role, add_participant, delete_participant, move_seat,
    bulk_delete_assignments, rename_member, change_member_phone, move_member_delegation, rename_delegation,
    relabel_seat, rename_venue, rename_body, add_sub_venue,
]}
# Edits no client can see: nothing is published.
SILENT = {"edit_agenda_details", "change_member_phone", "add_sub_venue"}


def _snapshots(hall, fresh, views=None):
    if fresh:
        snapshot._shared_cache.clear()
    return {v: build_snapshot(hall.meeting.id, *v) for v in views or hall.views()}


@pytest.mark.parametrize("edit", list(EDITS))
def test_admin_edit_reaches_every_view(hall, admin_client, delivered, edit):
    views = hall.views()
    if edit == "add_participant":
        views.append(("tablet", hall.newcomer.id))  # say it was bound just before (it cannot be)
    before = _snapshots(hall, fresh=False, views=views)  # also fills the shared-state cache
    start = Meeting.objects.get(pk=hall.meeting.pk).last_seq
    closed_seq = Meeting.objects.get(pk=hall.closed.pk).last_seq
    audited = AuditEntry.objects.count()
    delivered.clear()

    EDITS[edit](admin_client, hall)

    events = list(Event.objects.filter(meeting=hall.meeting, seq__gt=start).order_by("seq"))
    assert bool(events) is (edit not in SILENT)
    assert {e.kind for e in events} <= {KIND}
    # Delivered once committed, each exactly once.
    assert sorted(w["seq"] for w in delivered) == [e.seq for e in events]
    cached = _snapshots(hall, fresh=False, views=views)
    fresh = _snapshots(hall, fresh=True, views=views)
    for view, snap in before.items():
        assert cached[view] == fresh[view], ("stale cache", view)
        assert follow(snap, events, *view) == fresh[view]["state"], view
    assert Meeting.objects.get(pk=hall.closed.pk).last_seq == closed_seq  # a closed meeting: nothing
    assert AuditEntry.objects.count() > audited
    entries = AuditEntry.objects.filter(action__startswith="admin.").order_by("-id")
    assert entries.first().actor == hall.operator
    if events:
        assert entries.filter(meeting=hall.meeting).exists()


def test_only_changed_keys_and_members_are_published(hall, admin_client):
    start = Meeting.objects.get(pk=hall.meeting.pk).last_seq
    rename_member(admin_client, hall)
    events = list(Event.objects.filter(meeting=hall.meeting, seq__gt=start).order_by("seq"))
    # The console's not-voted list names them; their own tablet shows the name. Nobody else's.
    assert [(e.audience, e.member_id, sorted(e.data)) for e in events] == [
        ("console", None, ["not_voted"]), ("member", hall.members[2].id, ["me"]),
    ]
    assert events[1].data["me"]["name"] == "改名的代表"


def test_one_event_for_everyone_when_the_views_agree(hall, admin_client):
    start = Meeting.objects.get(pk=hall.meeting.pk).last_seq
    edit_agenda_title(admin_client, hall)
    events = list(Event.objects.filter(meeting=hall.meeting, seq__gt=start))
    assert [(e.audience, list(e.data)) for e in events] == [("all", ["agenda"])]


def test_a_refused_edit_publishes_nothing(hall, admin_client):
    start = Meeting.objects.get(pk=hall.meeting.pk).last_seq
    form = admin_forms.change_form(admin_client, hall.items[1])
    form["title"] = ""
    response = admin_client.post(form.url, {**form.data, "_save": "save"})
    assert response.status_code == 200  # the form again, with the error
    assert Meeting.objects.get(pk=hall.meeting.pk).last_seq == start


def test_a_meeting_save_keeps_the_live_fields(hall, admin_client, monkeypatch):
    from django.contrib import admin

    model_admin = admin.site._registry[Meeting]
    read = type(model_admin).get_object

    def read_then_console_acts(self, request, object_id, from_field=None):
        # The console moves on between the admin's read of the row and its write (another
        # process); the admin's save must not put the current item or the stream head back.
        obj = read(self, request, object_id, from_field)
        if request.method == "POST":
            meeting_services.set_current_item(hall.meeting.id, hall.items[2].id, hall.operator)
        return obj

    monkeypatch.setattr(type(model_admin), "get_object", read_then_console_acts)
    form = admin_forms.change_form(admin_client, hall.meeting)
    form["title"] = "更名"
    form.post()
    meeting = Meeting.objects.get(pk=hall.meeting.pk)
    assert meeting.current_item_id == hall.items[2].id and meeting.title == "更名"
    assert meeting.last_seq == Event.objects.filter(meeting=meeting).order_by("-seq").first().seq


def test_edit_of_a_closed_meeting_publishes_nothing(hall, admin_client):
    start = Event.objects.filter(meeting=hall.closed).count()
    _change(admin_client, hall.closed, title="已闭幕的会议（更正）")
    _change(admin_client, Participant.objects.get(meeting=hall.closed, member=hall.members[3]), role="non_voting")
    assert Event.objects.filter(meeting=hall.closed).count() == start
    # Still in the audit log, without a meeting whose clients were told.
    assert AuditEntry.objects.filter(action="admin.change", meeting__isnull=True).count() == 2


def test_capture_needs_the_edits_transaction(hall):
    from meeting.refresh import RefreshError

    with pytest.raises(RefreshError):
        Refresh("test").capture([hall.meeting.id])


def test_an_edit_that_fails_publishes_nothing(hall):
    start = Meeting.objects.get(pk=hall.meeting.pk).last_seq
    with pytest.raises(RuntimeError):
        with refreshing("test") as refresh:
            refresh.capture([hall.meeting.id])
            AgendaItem.objects.filter(pk=hall.items[0].pk).update(title="回滚")
            raise RuntimeError("boom")
    assert Meeting.objects.get(pk=hall.meeting.pk).last_seq == start
    assert AgendaItem.objects.get(pk=hall.items[0].pk).title != "回滚"


# ---- imports ----------------------------------------------------------------------------------

def _follow_import(hall, run):
    before = _snapshots(hall, fresh=False)
    start = Meeting.objects.get(pk=hall.meeting.pk).last_seq
    run()
    events = list(Event.objects.filter(meeting=hall.meeting, seq__gt=start).order_by("seq"))
    fresh = _snapshots(hall, fresh=True)
    for view, snap in before.items():
        assert follow(snap, events, *view) == fresh[view]["state"], view
    return events


def test_seat_import_reaches_the_tablets(hall):
    m0, m2 = hall.members[0], hall.members[4]  # signed in, and not: the seats the hall sees lit move
    seat0, seat2 = hall.assignment(m0).seat.label, hall.assignment(m2).seat.label
    content = csv_bytes([["代表证号", "座位号"], [m0.member_number, seat2], [m2.member_number, seat0]])

    def run():
        plan = assignments.parse(content, "swap.csv", hall.meeting)
        assert plan.ok, plan.errors
        assignments.apply(plan)

    events = _follow_import(hall, run)
    assert {e.member_id for e in events if e.audience == "member"} == {m0.id, m2.id}
    assert any("present_seats" in e.data for e in events)


def test_seat_import_command_reaches_the_tablets(hall, tmp_path):
    m0 = hall.members[0]
    path = tmp_path / "seats.csv"
    path.write_bytes(csv_bytes([["代表证号", "座位号"], [m0.member_number, hall.spare_seat.label]]))
    events = _follow_import(hall, lambda: call_command(
        "import_seats", str(path), "--meeting", str(hall.meeting.pk), stdout=io.StringIO()))
    assert [e.data["me"]["seat"] for e in events if e.audience == "member"] == ["2排1号"]


def test_roster_import_reaches_the_tablets_of_renamed_members(hall):
    m1 = hall.members[1]
    body = Body.objects.get(pk=hall.meeting.body_id)
    content = csv_bytes([["代表证号", "姓名"], [m1.member_number, "名册更正"], ["NEW9999", "另一位新代表"]])

    def run():
        plan = roster.parse(content, "roster.csv", body)
        assert plan.ok, plan.errors
        roster.apply(plan)

    events = _follow_import(hall, run)
    assert [(e.member_id, e.data["me"]["name"]) for e in events if e.audience == "member"] == [(m1.id, "名册更正")]


def test_roster_import_of_nothing_visible_publishes_nothing(hall):
    body = Body.objects.get(pk=hall.meeting.body_id)
    content = csv_bytes([["代表证号", "姓名", "联系电话"], [hall.members[1].member_number, hall.members[1].name, "13900000000"]])
    plan = roster.parse(content, "roster.csv", body)
    start = Meeting.objects.get(pk=hall.meeting.pk).last_seq
    roster.apply(plan)
    assert Meeting.objects.get(pk=hall.meeting.pk).last_seq == start


def test_import_through_the_admin(hall, admin_client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    m0 = hall.members[0]
    url = admin_forms.url(SeatAssignment, "import")
    upload = io.BytesIO(csv_bytes([["代表证号", "座位号"], [m0.member_number, hall.spare_seat.label]]))
    upload.name = "seats.csv"
    preview = admin_client.post(url, {"file": upload, "meeting": str(hall.meeting.pk)})
    token = preview.context["token"]
    assert token
    start = Meeting.objects.get(pk=hall.meeting.pk).last_seq
    assert admin_client.post(url, {"token": token}).status_code == 302
    events = list(Event.objects.filter(meeting=hall.meeting, seq__gt=start, audience="member"))
    assert [(e.member_id, e.data["me"]["seat"]) for e in events] == [(m0.id, "2排1号")]
