"""The presence flush writes each device exactly what changed for it, however they are grouped."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.models import Device
from devices.presence import flush
from meeting.models import Venue


@pytest.fixture
def devices(db):
    venue = Venue.objects.create(name="主会场")
    earlier = timezone.now() - timedelta(minutes=5)
    return [
        Device.objects.create(kind="tablet", venue=venue, public_key=bytes([i]) * 32, battery=50,
                              charging=False, user_agent="old", last_seen_at=earlier, online=i % 2 == 0)
        for i in range(1, 8)
    ]


def row(device):
    d = Device.objects.get(pk=device.pk)
    return d.online, d.battery, d.charging, d.user_agent, d.last_seen_at, d.presence_changed_at


def test_each_device_gets_only_its_own_changes(devices):
    a, b, c, d, e, f, untouched = devices
    before = row(untouched)
    batch = {
        a.pk: {"online": True},
        b.pk: {"online": True},
        c.pk: {"online": True, "battery": 80},
        d.pk: {"battery": 80, "online": True},  # same change, other key order: same group
        e.pk: {"online": False},
        f.pk: {"charging": True, "user_agent": "new"},
    }
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        flush(batch, (), now)
    updates = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 4  # one per distinct change, not one per device

    assert row(a) == (True, 50, False, "old", now, now)
    assert row(b) == (True, 50, False, "old", now, now)
    assert row(c) == (True, 80, False, "old", now, now)
    assert row(d) == (True, 80, False, "old", now, now)
    assert row(e) == (False, 50, False, "old", now, now)
    assert row(f)[1:] == (50, True, "new", now, now) and row(f)[0] == f.online
    assert row(untouched) == before


def test_heartbeat_refreshes_last_seen_without_marking_a_change(devices):
    a, b, *_ = devices
    now = timezone.now()
    flush({b.pk: {"online": False}}, (a.pk, b.pk), now)
    assert Device.objects.get(pk=a.pk).last_seen_at == now
    assert Device.objects.get(pk=a.pk).presence_changed_at is None
    assert row(b)[0] is False and row(b)[5] == now


def test_a_large_group_is_written_in_chunks(devices, django_assert_max_num_queries):
    venue = devices[0].venue
    many = Device.objects.bulk_create(
        [Device(kind="tablet", venue=venue, public_key=(i).to_bytes(32, "big")) for i in range(1000, 2200)]
    )
    now = timezone.now()
    with django_assert_max_num_queries(10):
        flush({d.pk: {"online": True} for d in many}, (), now)
    assert Device.objects.filter(pk__in=[d.pk for d in many], online=True, presence_changed_at=now).count() == 1200
