"""The stored event stream: gapless order, per-view prev pointers, publish-after-commit, and
the snapshot/patch contract (Zulip's test_events idea: snapshot + events == fresh snapshot)."""

import json

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from meeting import services
from meeting.errors import ServiceError
from meeting.events import AUDIENCES_OF_VIEW, PublishError, publish, publish_by_view
from meeting.models import AuditEntry, Event, Meeting
from meeting.snapshot import build_snapshot
from tests.factories import make_meeting
from tests.streams import follow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hall():
    meeting, members = make_meeting(deputies=4, attendees=1)
    operator = User.objects.create_user("op", password="x" * 12)
    return meeting, members, operator


def test_publish_outside_a_transaction_is_refused(hall, delivered):
    meeting, _, _ = hall
    with pytest.raises(PublishError):
        publish(meeting.id, "x", {})
    assert Event.objects.count() == 0 and delivered == []


def test_rolled_back_event_is_neither_stored_nor_delivered_and_uses_no_seq(hall, delivered):
    meeting, _, _ = hall
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            publish(meeting.id, "x", {"a": 1})
            raise RuntimeError("the service failed after publishing")
    assert Event.objects.count() == 0 and delivered == []
    with transaction.atomic():
        publish(meeting.id, "y", {"a": 2})
    assert [e.seq for e in Event.objects.all()] == [1]
    assert [json.loads(w["text"])["seq"] for w in delivered] == [1]


def test_delivery_waits_for_commit(hall, delivered):
    meeting, _, _ = hall
    with transaction.atomic():
        publish(meeting.id, "x", {})
        assert delivered == []
    assert len(delivered) == 1


def test_sequence_is_gapless_and_prev_links_each_view(hall, delivered):
    meeting, members, _ = hall
    m0, m1 = members[0].id, members[1].id
    plan = [("all", None), ("console", None), ("tablets", None), ("member", m0), ("displays", None),
            ("member", m1), ("all", None), ("member", m0)]
    for audience, member in plan:
        with transaction.atomic():
            publish(meeting.id, "k", {}, audience, member_id=member)
    events = list(Event.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(plan) + 1))
    assert Meeting.objects.get(pk=meeting.id).last_seq == len(plan)
    # Each view's chain of prev pointers visits exactly the events that view receives.
    for view, member in [("tablet", None), ("display", None), ("console", None), ("member", m0), ("member", m1)]:
        seen = [e for e in events if e.audience in AUDIENCES_OF_VIEW[view]
                and (view != "member" or e.member_id == member)]
        last = 0
        for e in seen:
            assert e.prev[view] == last, (view, e.seq)
            last = e.seq
    assert [e.seq for e in events if e.audience == "member" and e.member_id == m0] == [4, 8]


def test_member_audience_needs_a_member_and_others_refuse_one(hall):
    meeting, members, _ = hall
    with transaction.atomic():
        with pytest.raises(PublishError):
            publish(meeting.id, "k", {}, "member")
        with pytest.raises(PublishError):
            publish(meeting.id, "k", {}, "all", member_id=members[0].id)
        with pytest.raises(PublishError):
            publish(meeting.id, "k", {}, "everyone")


def test_publish_by_view_serves_the_hall_screens_and_console_before_the_tablets(hall, delivered):
    """Events go out in seq order and one to 3,000 tablets takes the loop a while: the displays' and
    the console's events of a change come first, whatever order the service named the views in."""
    meeting, members, _ = hall
    with transaction.atomic():
        publish(meeting.id, "before", {"x": 0})
        publish_by_view(meeting.id, "k", {"tablet": {"x": 1}, "console": {"x": 2}, "display": {"x": 3}})
        publish_by_view(meeting.id, "k", {"tablet": {"y": 1}, "display": {"y": 2}})
    events = list(Event.objects.filter(kind="k").order_by("seq"))
    assert [(e.audience, e.data) for e in events] == [
        ("displays", {"x": 3}), ("console", {"x": 2}), ("tablets", {"x": 1}),
        ("displays", {"y": 2}), ("tablets", {"y": 1})]
    assert [json.loads(w["text"])["kind"] for w in delivered] == ["before", "k", "k", "k", "k", "k"]
    # Each view's chain is intact: a client following the gap rule sees no difference.
    for view, member in _views(members):
        snapshot = build_snapshot(meeting.id, view, member)
        chain = [e for e in Event.objects.order_by("seq") if e.audience in AUDIENCES_OF_VIEW[view]]
        assert [e.prev[view] for e in chain] == [0] + [e.seq for e in chain[:-1]]
        assert snapshot["heads"][view] == chain[-1].seq
    # Views that agree still make one event for everyone; an unknown view is a bug.
    with transaction.atomic():
        [one] = publish_by_view(meeting.id, "same", {"tablet": {}, "display": {}, "console": {}})
        with pytest.raises(PublishError):
            publish_by_view(meeting.id, "k", {"tablets": {}})
    assert one.audience == "all"


def _views(members):
    return [("tablet", members[0].id), ("tablet", members[1].id), ("display", None), ("console", None)]


ACTIONS = {
    "open": lambda m, members, op: services.open_meeting(m.id, op),
    "current_item": lambda m, members, op: services.set_current_item(m.id, m.agenda.all()[1].id, op),
    "clear_item": lambda m, members, op: services.set_current_item(m.id, None, op),
    "display_message": lambda m, members, op: services.set_display(m.id, "message", "请代表们就座", op),
    "display_agenda": lambda m, members, op: services.set_display(m.id, "agenda", "", op),
    "notice_all": lambda m, members, op: services.send_notice(m.id, "会议将于九点开始", None, op),
    "notice_one": lambda m, members, op: services.send_notice(m.id, "请到主席台", members[0].id, op),
    "close": lambda m, members, op: services.close_meeting(m.id, op),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_snapshot_plus_events_equals_fresh_snapshot(hall, delivered, action):
    meeting, members, operator = hall
    if action != "open":
        services.open_meeting(meeting.id, operator)
    before = {v: build_snapshot(meeting.id, *v) for v in _views(members)}
    start = Meeting.objects.get(pk=meeting.id).last_seq
    ACTIONS[action](meeting, members, operator)
    events = list(Event.objects.filter(meeting=meeting, seq__gt=start).order_by("seq"))
    assert events, "every action publishes"
    for (view, member_id), snap in before.items():
        after = build_snapshot(meeting.id, view, member_id)
        assert follow(snap, events, view, member_id) == after["state"], (view, member_id)


def test_notice_to_one_member_reaches_only_that_member_and_the_console(hall, delivered):
    meeting, members, operator = hall
    services.send_notice(meeting.id, "请到主席台", members[0].id, operator)
    audiences = [(json.loads(w["text"])["kind"], w["audience"], w["member"]) for w in delivered]
    assert audiences == [("notice.member", "member", members[0].id), ("notice.sent", "console", None)]
    other = build_snapshot(meeting.id, "tablet", members[1].id)["state"]
    assert other["my_notices"] == [] and other["notices"] == []


@pytest.mark.parametrize("call, code", [
    (lambda m, op: services.close_meeting(m.id, op), "not_open"),
    (lambda m, op: services.set_current_item(m.id, 10**9, op), "not_open"),
    (lambda m, op: services.set_display(m.id, "fireworks", "", op), "bad_mode"),
    (lambda m, op: services.set_display(m.id, "message", "  ", op), "empty_message"),
    (lambda m, op: services.set_display(m.id, "message", "字" * 501, op), "too_long"),
    (lambda m, op: services.set_display(m.id, "message", 5, op), "bad_request"),
    (lambda m, op: services.send_notice(m.id, "", None, op), "empty_message"),
    (lambda m, op: services.send_notice(m.id, "x", 10**9, op), "not_participant"),
    (lambda m, op: services.send_notice(m.id, "x", "1", op), "bad_request"),
    (lambda m, op: services.open_meeting(10**9, op), "no_meeting"),
])
def test_refused_requests_change_nothing(hall, delivered, call, code):
    meeting, _, operator = hall
    before = (Meeting.objects.filter(pk=meeting.id).values().get(), Event.objects.count(),
              AuditEntry.objects.count())
    with pytest.raises(ServiceError) as refused:
        call(meeting, operator)
    assert refused.value.code == code
    after = (Meeting.objects.filter(pk=meeting.id).values().get(), Event.objects.count(),
             AuditEntry.objects.count())
    assert before == after and delivered == []


def test_item_of_another_meeting_is_refused(hall, delivered):
    meeting, _, operator = hall
    other, _ = make_meeting(deputies=1, attendees=0, name="另一个市人民代表大会")
    services.open_meeting(meeting.id, operator)
    with pytest.raises(ServiceError) as refused:
        services.set_current_item(meeting.id, other.agenda.first().id, operator)
    assert refused.value.code == "no_item"


def test_every_operator_action_is_audited_with_its_actor(hall, delivered):
    meeting, members, operator = hall
    for action in ("open", "current_item", "display_message", "notice_one", "close"):
        ACTIONS[action](meeting, members, operator)
    entries = list(AuditEntry.objects.filter(meeting=meeting))
    assert [e.action for e in entries] == ["meeting.open", "agenda.current", "display.set", "notice.send",
                                           "meeting.close"]
    assert {e.actor_id for e in entries} == {operator.id}
