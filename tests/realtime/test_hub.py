"""The in-process hub: routing by audience, order under reordering, gap filling from the stored
stream, and holding events back until a connection's snapshot is out."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from meeting import hub as hub_module
from meeting.events import publish, to_wire
from meeting.hub import Connection, Hub
from meeting.models import Event
from tests.factories import make_meeting

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    def __init__(self):
        self.seqs = []

    async def __call__(self, text):
        self.seqs.append(json.loads(text)["seq"])


def connect(hub, meeting_id, view, member_id=None, ready_after=0):
    rec = Recorder()
    conn = Connection(meeting_id, view, member_id, rec)
    hub.attach(conn)
    conn.ready_after = ready_after
    return conn, rec


@pytest.fixture
def stored(monkeypatch):
    """A meeting with events stored but not delivered, as wires, in seq order."""
    monkeypatch.setattr("meeting.events._deliver", lambda wire: None)
    meeting, members = make_meeting(deputies=2, attendees=0)
    plan = [("all", None), ("console", None), ("member", members[0].id), ("tablets", None), ("displays", None),
            ("all", None)]
    for audience, member in plan:
        with transaction.atomic():
            publish(meeting.id, "k", {}, audience, member_id=member)
    wires = [to_wire(e) for e in Event.objects.filter(meeting=meeting).order_by("seq")]
    return meeting, members, wires


async def test_each_connection_gets_exactly_its_audiences(stored):
    meeting, members, wires = stored
    hub = Hub()
    _, tablet0 = connect(hub, meeting.id, "tablet", members[0].id)
    _, tablet1 = connect(hub, meeting.id, "tablet", members[1].id)
    _, display = connect(hub, meeting.id, "display")
    _, console = connect(hub, meeting.id, "console")
    for wire in wires:
        await hub.deliver(wire)
    assert tablet0.seqs == [1, 3, 4, 6]
    assert tablet1.seqs == [1, 4, 6]
    assert display.seqs == [1, 5, 6]
    assert console.seqs == [1, 2, 6]


async def test_reordered_arrivals_are_delivered_in_sequence(stored):
    meeting, _, wires = stored
    hub = Hub()
    _, console = connect(hub, meeting.id, "console")
    await hub.deliver(wires[0])
    await hub.deliver(wires[5])
    await hub.deliver(wires[1])
    assert console.seqs == [1, 2]  # 6 waits for 3, 4 and 5
    for wire in (wires[3], wires[2], wires[4], wires[4], wires[0]):  # duplicates are dropped
        await hub.deliver(wire)
    assert console.seqs == [1, 2, 6]


async def test_a_hole_is_filled_from_the_database(stored, monkeypatch):
    meeting, _, wires = stored
    monkeypatch.setattr(hub_module, "GAP_WAIT_SECONDS", 0.01)
    hub = Hub()
    _, tablet = connect(hub, meeting.id, "tablet", None)
    _, console = connect(hub, meeting.id, "console")
    await hub.deliver(wires[0])
    await hub.deliver(wires[5])  # 2..5 never arrive: lost on the way
    await hub.rooms[meeting.id].gap_task
    assert console.seqs == [1, 2, 6]
    assert tablet.seqs == [1, 4, 6]


async def test_events_wait_behind_the_snapshot_and_older_ones_are_dropped(stored):
    meeting, _, wires = stored
    hub = Hub()
    conn, console = connect(hub, meeting.id, "console", ready_after=None)
    await hub.deliver(wires[0])
    await hub.deliver(wires[1])
    assert console.seqs == []  # still building the snapshot
    await hub.mark_ready(conn, snapshot_seq=1)  # the snapshot already held seq 1
    assert console.seqs == [2]


async def test_a_detached_connection_receives_nothing_and_empty_rooms_go(stored):
    meeting, _, wires = stored
    hub = Hub()
    conn, console = connect(hub, meeting.id, "console")
    hub.detach(conn)
    assert meeting.id not in hub.rooms
    await hub.deliver(wires[0])
    assert console.seqs == []


async def test_publish_after_commit_reaches_a_connected_socket_through_the_loop(monkeypatch):
    meeting, _ = await sync_to_async(make_meeting)(deputies=1, attendees=0)
    hub = Hub()
    monkeypatch.setattr(hub_module, "hub", hub)
    monkeypatch.setattr("meeting.events._deliver", lambda wire: hub.deliver_threadsafe(wire))
    _, display = connect(hub, meeting.id, "display")

    def service():
        with transaction.atomic():
            publish(meeting.id, "k", {"x": 1})

    await sync_to_async(service)()
    for _ in range(50):
        if display.seqs:
            break
        await asyncio.sleep(0.01)
    assert display.seqs == [1]
