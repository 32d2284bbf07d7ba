"""Polls through the services: lifecycle, quorum, ballots via the grouped intake, results,
hand counts, and the snapshot/patch contract for every action."""

import pytest

from meeting.errors import ServiceError
from meeting.models import AuditEntry, Event, Meeting
from meeting.snapshot import apply_event, build_snapshot
from signin.models import SigninRecord
from tests.voting.support import Hall
from voting import canonical, services
from voting.intake import record_batch
from voting.models import BallotEntry, Poll, Turnout
from voting.intake import progress
from voting.state import ballot_patch
from tests.streams import follow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_delivery(monkeypatch):
    monkeypatch.setattr("meeting.events._deliver", lambda wire: None)


def code(fn, *args, **kwargs):
    with pytest.raises(ServiceError) as refused:
        fn(*args, **kwargs)
    return refused.value.code


def opened(hall, **options):
    poll = services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator, **options)
    services.open_poll(hall.meeting.id, poll.id, hall.operator)
    return Poll.objects.get(pk=poll.id)


def test_a_motion_from_prepare_to_announce():
    hall = Hall(deputies=6)
    poll = opened(hall)
    choices = ["for", "for", "for", "for", "against"]
    receipts = record_batch(poll.id, [hall.ballot(poll, m, c) for m, c in zip(hall.deputies, choices)])
    assert all(isinstance(r, dict) for r in receipts)
    services.close_poll(hall.meeting.id, poll.id, hall.operator)
    poll.refresh_from_db()
    r = poll.result
    assert (r["for"], r["against"], r["abstain"], r["not_voted"], r["entitled"]) == (4, 1, 0, 1, 6)
    assert r["passed"] is True and r["required"] == 4  # more than half of 6 entitled
    assert poll.log_length == 5 and poll.result_signature
    services.announce_poll(hall.meeting.id, poll.id, hall.operator)
    assert Poll.objects.get(pk=poll.id).state == "announced"
    actions = list(AuditEntry.objects.filter(action__startswith="poll.").values_list("action", flat=True))
    assert actions == ["poll.prepare", "poll.open", "poll.close", "poll.announce"]


def test_three_of_six_is_not_more_than_half():
    hall = Hall(deputies=6)
    poll = opened(hall)
    record_batch(poll.id, [hall.ballot(poll, m, "for") for m in hall.deputies[:3]])
    services.close_poll(hall.meeting.id, poll.id, hall.operator)
    assert Poll.objects.get(pk=poll.id).result["passed"] is False


def test_a_poll_cannot_open_without_quorum():
    hall = Hall(deputies=6, signed_in=[])
    poll = services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator)
    SigninRecord.objects.bulk_create([])
    # Plenary: at least two-thirds of 6 = 4 must be present.
    from django.utils import timezone

    for m in hall.deputies[:3]:
        SigninRecord.objects.create(meeting=hall.meeting, member=m, method="manual", at=timezone.now())
    assert code(services.open_poll, hall.meeting.id, poll.id, hall.operator) == "no_quorum"
    SigninRecord.objects.create(meeting=hall.meeting, member=hall.deputies[3], method="manual", at=timezone.now())
    services.open_poll(hall.meeting.id, poll.id, hall.operator)


def test_only_one_poll_at_a_time_and_never_reopened():
    hall = Hall()
    poll = opened(hall)
    other = services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator)
    assert code(services.open_poll, hall.meeting.id, other.id, hall.operator) == "another_open"
    services.close_poll(hall.meeting.id, poll.id, hall.operator)
    assert code(services.open_poll, hall.meeting.id, poll.id, hall.operator) == "not_prepared"
    assert code(services.cancel_poll, hall.meeting.id, poll.id, "错了", hall.operator) == "not_cancellable"


def test_an_appointment_decides_each_nominee_on_their_own():
    hall = Hall(deputies=6)
    nominees = [{"name": "张三", "post": "副市长"}, {"name": "李四", "post": "局长"}]
    poll = opened(hall, kind="appointment", nominees=nominees)
    ballots = [{"1": "for", "2": "against"}] * 4 + [{"1": "against", "2": "for"}]
    record_batch(poll.id, [hall.ballot(poll, m, b) for m, b in zip(hall.deputies, ballots)])
    services.close_poll(hall.meeting.id, poll.id, hall.operator)
    rows = {row["name"]: row for row in Poll.objects.get(pk=poll.id).result["nominees"]}
    assert rows["张三"]["passed"] is True and rows["张三"]["for"] == 4
    assert rows["李四"]["passed"] is False and rows["李四"]["against"] == 4


def test_the_same_ballot_again_gets_the_same_receipt_and_a_different_one_is_refused():
    hall = Hall()
    poll = opened(hall)
    member = hall.deputies[0]
    first = hall.ballot(poll, member, "for")
    [receipt] = record_batch(poll.id, [first])
    [again] = record_batch(poll.id, [first])
    assert again == receipt
    [second] = record_batch(poll.id, [hall.ballot(poll, member, "against")])
    assert second.code == "already_voted"
    assert BallotEntry.objects.filter(poll=poll).count() == 1


def test_changing_a_vote_needs_the_option_and_the_original_secret():
    hall = Hall()
    poll = opened(hall, allow_change=True)
    member = hall.deputies[0]
    first = hall.ballot(poll, member, "for")
    [receipt] = record_batch(poll.id, [first])
    wrong = hall.ballot(poll, member, "against", replaces={"position": receipt["position"], "secret": "guess"})
    assert record_batch(poll.id, [wrong])[0].code == "bad_replace"
    secret_text = first.secret
    change = hall.ballot(poll, member, "against", replaces={"position": receipt["position"], "secret": secret_text})
    [changed] = record_batch(poll.id, [change])
    assert changed["position"] == 2
    services.close_poll(hall.meeting.id, poll.id, hall.operator)
    result = Poll.objects.get(pk=poll.id).result
    assert (result["for"], result["against"]) == (0, 1)


@pytest.mark.parametrize("case, expected", [
    ("not_signed_in", "not_signed_in"),
    ("attendee", "not_entitled"),
    ("other_device", "not_bound"),
    ("bad_choice", "bad_choice"),
    ("paused", "paused"),
    ("closed", "poll_closed"),
])
def test_bad_ballots_are_refused_and_change_nothing(case, expected):
    hall = Hall(deputies=6, signed_in=None)
    poll = opened(hall, kind="appointment", nominees=[{"name": "张三"}])
    member = hall.deputies[0]
    request = hall.ballot(poll, member, {"1": "for"})
    if case == "not_signed_in":
        SigninRecord.objects.filter(member=member).delete()
    elif case == "attendee":
        request = hall.ballot(poll, hall.attendee, {"1": "for"})
    elif case == "other_device":
        request.device_id = hall.keys[hall.deputies[1].id].device_id
    elif case == "bad_choice":
        request = hall.ballot(poll, member, {"9": "for"})
    elif case == "paused":
        services.pause_poll(hall.meeting.id, poll.id, hall.operator)
    elif case == "closed":
        services.close_poll(hall.meeting.id, poll.id, hall.operator)
    before = (BallotEntry.objects.count(), list(Turnout.objects.values_list("member_ids", flat=True)))
    [outcome] = record_batch(poll.id, [request])
    assert isinstance(outcome, ServiceError) and outcome.code == expected
    assert (BallotEntry.objects.count(), list(Turnout.objects.values_list("member_ids", flat=True))) == before


def test_a_group_with_exceptions_refuses_only_those_and_an_all_clear_group_reads_one_row_for_them():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    hall = Hall(deputies=8, signed_in=None)
    poll = opened(hall)
    late = hall.deputies[7]
    SigninRecord.objects.filter(member=late).delete()
    group = [hall.ballot(poll, m, "for") for m in hall.deputies[:3]]
    group += [hall.ballot(poll, late, "for"), hall.ballot(poll, hall.attendee, "for")]
    outcomes = record_batch(poll.id, group)
    assert [o.code if isinstance(o, ServiceError) else "ok" for o in outcomes] == [
        "ok", "ok", "ok", "not_signed_in", "not_entitled"]
    assert Turnout.objects.get(poll=poll).member_ids == sorted(m.id for m in hall.deputies[:3])

    # Everyone in the group may vote: eligibility is one counted row, not a row per member.
    clear = [hall.ballot(poll, m, "against") for m in hall.deputies[3:7]]
    with CaptureQueriesContext(connection) as queries:
        assert all(isinstance(o, dict) for o in record_batch(poll.id, clear))
    member_rows = [q["sql"] for q in queries.captured_queries
                   if "meeting_participant" in q["sql"] and "COUNT(" not in q["sql"].upper()]
    assert member_rows == []
    assert Turnout.objects.get(poll=poll).member_ids == sorted(m.id for m in hall.deputies[:7])


def test_a_hand_count_is_marked_with_who_entered_it():
    hall = Hall(deputies=6)
    poll = services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator)
    assert code(services.record_hand_count, hall.meeting.id, poll.id, {"for": 5, "against": 2}, "", hall.operator) \
        == "too_many"
    services.record_hand_count(hall.meeting.id, poll.id, {"for": 4, "against": 1, "abstain": 1}, "设备故障",
                               hall.operator)
    poll.refresh_from_db()
    assert poll.state == "closed" and poll.result["hand_counted"] is True
    assert poll.result["entered_by"] == hall.operator.username and poll.result["passed"] is True
    assert poll.hand_count.entered_by == hall.operator


def test_a_constitutional_amendment_defaults_to_two_thirds():
    hall = Hall(deputies=6)
    item = hall.item
    item.details = {"constitutional": True}
    item.save()
    poll = opened(hall)
    record_batch(poll.id, [hall.ballot(poll, m, "for") for m in hall.deputies[:4]])
    services.close_poll(hall.meeting.id, poll.id, hall.operator)
    result = Poll.objects.get(pk=poll.id).result
    assert result["passed"] is True and result["required"] == 4  # at least 2/3 of 6


def test_the_log_is_a_hash_chain_from_genesis():
    hall = Hall(deputies=6)
    poll = opened(hall, anonymous=False)
    record_batch(poll.id, [hall.ballot(poll, m, "abstain") for m in hall.deputies])
    prev = canonical.genesis_hash(hall.meeting.id, poll.id)
    for entry in BallotEntry.objects.filter(poll=poll).order_by("position"):
        assert entry.prev_hash == prev
        prev = canonical.entry_hash(poll.id, entry.position, prev, entry.choice, entry.secret_hash,
                                    entry.supersedes, member=entry.member_id, device=str(entry.device_id),
                                    signature=entry.device_signature)
        assert entry.entry_hash == prev
    assert Poll.objects.get(pk=poll.id).log_head == prev


ACTIONS = ["prepare", "open", "ballots", "pause", "resume", "close", "announce", "cancel", "hand_count"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("anonymous", [True, False])
def test_snapshot_plus_events_equals_fresh_snapshot(action, anonymous):
    hall = Hall(deputies=6)
    poll = services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator, anonymous=anonymous)
    replies = {}
    steps = {
        "prepare": [],
        "open": [],
        "ballots": ["open"],
        "pause": ["open"],
        "resume": ["open", "pause"],
        "close": ["open", "ballots"],
        "announce": ["open", "ballots", "close"],
        "cancel": ["open"],
        "hand_count": [],
    }[action]
    do = {
        "prepare": lambda: services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator),
        "open": lambda: services.open_poll(hall.meeting.id, poll.id, hall.operator),
        "ballots": lambda: replies.update(zip(
            [m.id for m in hall.deputies[:4]],
            record_batch(poll.id, [hall.ballot(poll, m, "for") for m in hall.deputies[:4]]))),
        "pause": lambda: services.pause_poll(hall.meeting.id, poll.id, hall.operator),
        "resume": lambda: services.resume_poll(hall.meeting.id, poll.id, hall.operator),
        "close": lambda: services.close_poll(hall.meeting.id, poll.id, hall.operator),
        "announce": lambda: services.announce_poll(hall.meeting.id, poll.id, hall.operator),
        "cancel": lambda: services.cancel_poll(hall.meeting.id, poll.id, "议程调整", hall.operator),
        "hand_count": lambda: services.record_hand_count(hall.meeting.id, poll.id, {"for": 5}, "", hall.operator),
    }
    for step in steps:
        do[step]()
    views = [("tablet", hall.deputies[0].id), ("tablet", hall.deputies[5].id), ("display", None), ("console", None)]
    before = {v: build_snapshot(hall.meeting.id, *v) for v in views}
    start = Meeting.objects.get(pk=hall.meeting.id).last_seq
    replies.clear()
    do[action]()
    progress.flush_pending()  # the coalesced vote count, as the timer would a moment later
    events = list(Event.objects.filter(meeting=hall.meeting, seq__gt=start).order_by("seq"))
    assert events
    poll.refresh_from_db()
    for (view, member_id), snap in before.items():
        fresh = build_snapshot(hall.meeting.id, view, member_id)["state"]
        followed = follow(snap, events, view, member_id)
        if view == "tablet" and member_id in replies:  # the acknowledgement's patch
            followed = apply_event(followed, ballot_patch(poll, "for", replies[member_id]))
        assert followed == fresh, (view, member_id)


def test_a_group_of_anonymous_ballots_is_logged_in_shuffled_order():
    hall = Hall(deputies=30, attendees=0)
    poll = opened(hall)
    requests = [hall.ballot(poll, m, "for") for m in hall.deputies]
    record_batch(poll.id, requests)
    order = {e.secret_hash: e.position for e in BallotEntry.objects.filter(poll=poll)}
    submitted = [order[r.secret_hash] for r in requests]
    assert sorted(submitted) == list(range(1, 31))
    assert submitted != list(range(1, 31))  # fails only with probability 1/30!


def test_a_named_group_is_logged_in_arrival_order_with_its_signatures():
    hall = Hall(deputies=5, attendees=0)
    poll = opened(hall, anonymous=False)
    requests = [hall.ballot(poll, m, "against") for m in hall.deputies]
    record_batch(poll.id, requests)
    entries = list(BallotEntry.objects.filter(poll=poll).order_by("position"))
    assert [e.member_id for e in entries] == [m.id for m in hall.deputies]
    assert [e.device_signature for e in entries] == [r.signature for r in requests]


def test_the_same_ballot_twice_in_one_group_gets_one_entry_and_one_receipt():
    hall = Hall()
    poll = opened(hall)
    ballot = hall.ballot(poll, hall.deputies[0], "for")
    first, second = record_batch(poll.id, [ballot, ballot])
    assert first == second and BallotEntry.objects.filter(poll=poll).count() == 1


def test_two_replacements_of_one_ballot_in_one_group_count_once():
    hall = Hall()
    poll = opened(hall, allow_change=True)
    member = hall.deputies[0]
    original = hall.ballot(poll, member, "for")
    [receipt] = record_batch(poll.id, [original])
    replaces = {"position": receipt["position"], "secret": original.secret}
    a = hall.ballot(poll, member, "against", replaces=replaces)
    b = hall.ballot(poll, member, "abstain", replaces=replaces)
    outcome_a, outcome_b = record_batch(poll.id, [a, b])
    assert isinstance(outcome_a, dict) and outcome_b.code == "bad_replace"
    services.close_poll(hall.meeting.id, poll.id, hall.operator)
    result = Poll.objects.get(pk=poll.id).result
    assert (result["for"], result["against"], result["abstain"]) == (0, 1, 0)


def test_tablets_get_no_vote_progress_the_hall_screens_and_console_do():
    """A delegate's tablet does not show the live count (consoles/static/consoles/tablet.js never
    reads poll_progress): it is neither in the tablet's snapshot nor in any event a tablet gets."""
    hall = Hall(deputies=6)
    poll = opened(hall)
    record_batch(poll.id, [hall.ballot(poll, m, "for") for m in hall.deputies[:4]])
    progress.flush_pending()
    expected = {"poll": poll.id, "voted": 4, "signed_in": 6, "entitled": 6}
    assert "poll_progress" not in build_snapshot(hall.meeting.id, "tablet", hall.deputies[0].id)["state"]
    for view in ("display", "console"):
        assert build_snapshot(hall.meeting.id, view)["state"]["poll_progress"] == expected
    events = list(Event.objects.filter(meeting=hall.meeting).order_by("seq"))
    assert not [e.seq for e in events if e.audience in ("all", "tablets", "member") and "poll_progress" in e.data]
    assert {e.audience for e in events if e.kind == "poll.progress"} == {"displays", "console"}
    # The open event: the hall's screens and the console first, the tablets' last.
    opened_events = [e.audience for e in events if e.kind == "poll.changed"]
    assert opened_events == ["displays", "console", "tablets"]
