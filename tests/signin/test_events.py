"""Sign-in on the event stream: snapshot + events == fresh snapshot for every action and view
(Zulip's test_events idea), who receives what, and coalescing of the hall-wide figures."""

import asyncio
import json
import threading
import time

import pytest

from meeting.models import Event, Meeting
from meeting.snapshot import build_snapshot
from signin import codes, selectors, services
from meeting.coalesce import Coalescer, default_scheduler
from signin.coalesce import coalescer
from tests.streams import follow

pytestmark = pytest.mark.django_db(transaction=True)


def _views(members):
    return [("tablet", members[0].id), ("tablet", members[1].id), ("tablet", members[6].id), ("tablet", None),
            ("display", None), ("console", None)]


def badge(member):
    return codes.badge_code(member.id, selectors.badge_version(member.id))


ACTIONS = {
    "open": lambda m, mem, op, sub: services.open_window(m.id, op),
    "close": lambda m, mem, op, sub: services.close_window(m.id, op),
    "scan": lambda m, mem, op, sub: services.scan_badge(m.id, badge(mem[0]), "东门", op),
    "tap": lambda m, mem, op, sub: services.tap(m.id, mem[1].id),
    "venue": lambda m, mem, op, sub: services.venue_sign_in(m.id, mem[0].id, codes.venue_code(m.id, sub.id)),
    "manual": lambda m, mem, op, sub: services.manual_sign_in(m.id, mem[1].id, "代表证遗忘", op),
    "leave": lambda m, mem, op, sub: services.record_leave(m.id, mem[0].id, "出差", op),
    "attendee": lambda m, mem, op, sub: services.tap(m.id, mem[6].id),
    "late": lambda m, mem, op, sub: (services.close_window(m.id, op), services.tap(m.id, mem[0].id)),
    "burst": lambda m, mem, op, sub: [services.tap(m.id, x.id) for x in mem[:7]],
    "duplicate": lambda m, mem, op, sub: services.tap(m.id, mem[2].id),
    # Taps that arrived together (the socket groups them): a repeat and an unbound one among them.
    "batched": lambda m, mem, op, sub: services.tap_many(
        m.id, [(x.id, "", "") for x in mem[:7]] + [(mem[0].id, "", ""), (None, "", ""), (mem[2].id, "", "")]),
    "revoke": lambda m, mem, op, sub: services.revoke_badge(m.id, mem[3].id, op),
}
SILENT = {"duplicate", "revoke"}  # change nothing anyone sees


@pytest.mark.parametrize("action", list(ACTIONS))
def test_snapshot_plus_events_equals_fresh_snapshot(hall, delivered, action):
    meeting, members, operator, sub = hall
    if action != "open":
        services.open_window(meeting.id, operator)
    if action == "duplicate":
        services.tap(meeting.id, members[2].id)
    coalescer.flush_pending()
    before = {v: build_snapshot(meeting.id, *v) for v in _views(members)}
    start = Meeting.objects.get(pk=meeting.id).last_seq
    ACTIONS[action](meeting, members, operator, sub)
    coalescer.flush_pending()
    events = list(Event.objects.filter(meeting=meeting, seq__gt=start).order_by("seq"))
    assert bool(events) is (action not in SILENT)
    for (view, member_id), snap in before.items():
        after = build_snapshot(meeting.id, view, member_id)
        assert follow(snap, events, view, member_id) == after["state"], (view, member_id)


def test_each_view_sees_only_its_parts(hall, delivered):
    meeting, members, operator, _ = hall
    tablet = build_snapshot(meeting.id, "tablet", members[0].id)["state"]
    unbound = build_snapshot(meeting.id, "tablet", None)["state"]
    display = build_snapshot(meeting.id, "display")["state"]
    console = build_snapshot(meeting.id, "console")["state"]
    assert all("attendance" in s for s in (tablet, unbound, display, console))
    # A tablet shows only whether sign-in is open: it gets the window, never the hall figures.
    assert tablet["attendance"] == unbound["attendance"] == {"window": display["attendance"]["window"]}
    assert display["attendance"] == console["attendance"] and "quorum" in display["attendance"]
    assert "present_seats" in display and "present_seats" in console
    assert "present_seats" not in tablet and "my_attendance" not in unbound
    assert tablet["my_attendance"] == {"status": "not_signed_in", "method": None, "method_label": None,
                                       "place": None, "at": None, "late": False}
    assert "my_attendance" not in display and "my_attendance" not in console


def test_a_sign_in_tells_its_member_at_once_and_the_hall_only_when_coalesced(hall, delivered):
    meeting, members, operator, _ = hall
    services.open_window(meeting.id, operator)
    delivered.clear()
    services.tap(meeting.id, members[0].id)
    sent = [(json.loads(w["text"])["kind"], w["audience"], w["member"]) for w in delivered]
    assert sent == [("signin.mine", "member", members[0].id)]
    coalescer.flush_pending()
    sent = [(json.loads(w["text"])["kind"], w["audience"], sorted(json.loads(w["text"])["data"]))
            for w in delivered[1:]]
    # The screens first, then the console; no tablet hears of the figures.
    assert sent == [("signin.attendance", "displays", ["attendance", "present_seats"]),
                    ("signin.attendance", "console", ["attendance", "present_seats"])]


def test_only_the_window_opening_or_closing_reaches_the_tablets(hall, delivered):
    meeting, members, operator, _ = hall
    services.open_window(meeting.id, operator)
    services.record_leave(meeting.id, members[1].id, "病假", operator)
    services.close_window(meeting.id, operator)
    to_tablets = [json.loads(w["text"]) for w in delivered if w["audience"] == "tablets"]
    assert [(e["kind"], e["data"]["attendance"]["window"]["state"]) for e in to_tablets] == [
        ("signin.window", "open"), ("signin.window", "closed")]
    assert all(set(e["data"]) == {"attendance"} and set(e["data"]["attendance"]) == {"window"} for e in to_tablets)


def test_console_actions_publish_the_figures_directly(hall, delivered):
    meeting, members, operator, _ = hall
    services.open_window(meeting.id, operator)
    delivered.clear()
    services.manual_sign_in(meeting.id, members[0].id, "证件遗忘", operator)
    services.record_leave(meeting.id, members[1].id, "病假", operator)
    kinds = [(json.loads(w["text"])["kind"], w["audience"]) for w in delivered]
    assert kinds == [
        ("signin.mine", "member"), ("signin.attendance", "displays"), ("signin.attendance", "console"),
        ("signin.mine", "member"), ("signin.attendance", "displays"), ("signin.attendance", "console"),
    ]
    assert not coalescer.pending()


def test_a_burst_of_sign_ins_makes_one_hall_wide_event_with_the_final_figures(hall, delivered, manual_coalescer):
    meeting, members, operator, sub = hall
    services.open_window(meeting.id, operator)
    start = Meeting.objects.get(pk=meeting.id).last_seq
    for member in members[:4]:
        services.tap(meeting.id, member.id)
    for member in members[4:6]:
        services.scan_badge(meeting.id, badge(member), "东门", operator)
    services.venue_sign_in(meeting.id, members[6].id, codes.venue_code(meeting.id, sub.id))
    assert len(manual_coalescer.calls) == 1 and manual_coalescer.calls[0][0] == pytest.approx(0.3)
    manual_coalescer.calls[0][1]()  # the timer fires
    events = list(Event.objects.filter(meeting=meeting, seq__gt=start).order_by("seq"))
    kinds = [e.kind for e in events]
    assert kinds.count("signin.mine") == 7
    assert kinds.count("signin.attendance") == 2  # one for the screens, one for the console
    assert kinds[-2:] == ["signin.attendance", "signin.attendance"]
    fresh = build_snapshot(meeting.id, "console")["state"]
    assert events[-2].data == events[-1].data
    assert events[-1].data["attendance"] == fresh["attendance"]
    assert events[-1].data["attendance"]["present"] == 6 and events[-1].data["attendance"]["attendees"] == 1
    assert events[-1].data["present_seats"] == fresh["present_seats"]
    assert len(fresh["present_seats"]) == 7
    # A sign-in after the flush started schedules the next flush.
    services.tap(meeting.id, members[7].id)
    assert len(manual_coalescer.calls) == 2
    manual_coalescer.calls[1][1]()
    last = Event.objects.filter(meeting=meeting, kind="signin.attendance").order_by("-seq").first()
    assert last.data["attendance"]["attendees"] == 2
    # A timer that fires after flush_pending() already ran publishes nothing more.
    services.tap(meeting.id, members[2].id)  # duplicate: nothing scheduled
    assert len(manual_coalescer.calls) == 2


# ---- the coalescer itself ---------------------------------------------------------------------

def until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def test_coalescer_trailing_edge_with_the_timer_thread():
    flushed = []

    c = Coalescer(lambda key: flushed.append((key, time.monotonic())), delay=0.2, scheduler=default_scheduler)
    first = time.monotonic()
    for _ in range(100):
        c.touch(7)
    c.touch(8)
    until(lambda: len(flushed) == 2)
    assert sorted(k for k, _ in flushed) == [7, 8]  # one flush per meeting for 100 touches
    assert all(at - first >= 0.19 for _, at in flushed)  # trailing edge: after the delay
    c.touch(7)
    until(lambda: len(flushed) == 3)
    time.sleep(0.3)
    assert [k for k, _ in flushed].count(7) == 2 and len(flushed) == 3


def test_coalescer_runs_on_the_hubs_loop_when_there_is_one(monkeypatch):
    from meeting.hub import hub

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setattr(hub, "loop", loop)
        ran = []
        done = threading.Event()

        def flush(key):
            ran.append((key, threading.current_thread() is not thread))
            done.set()

        c = Coalescer(flush, delay=0.05, scheduler=default_scheduler)
        for _ in range(20):
            c.touch(3)
        assert done.wait(3)
        time.sleep(0.1)
        assert ran == [(3, True)]  # once, and off the loop's own thread
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(2)
        loop.close()
