import pytest
from django.contrib.auth.models import User

from meeting.models import Meeting, SubVenue, Venue
from signin.coalesce import coalescer
from tests.factories import make_meeting


class ManualScheduler:
    """Stands in for the coalescer's timer: records what was scheduled; tests flush by hand."""

    def __init__(self):
        self.calls = []

    def __call__(self, delay, fn):
        self.calls.append((delay, fn))


@pytest.fixture(autouse=True)
def manual_coalescer(monkeypatch):
    scheduler = ManualScheduler()
    monkeypatch.setattr(coalescer, "scheduler", scheduler)
    coalescer._pending.clear()
    yield scheduler
    coalescer._pending.clear()


@pytest.fixture
def hall(db):
    """A plenary of 6 deputies and 2 attendees with seats, a sub-venue, and an operator."""
    meeting, members = make_meeting(deputies=6, attendees=2)
    sub = Venue.objects.create(name="青山县分会场", parent=meeting.venue)
    SubVenue.objects.create(meeting=meeting, venue=sub)
    operator = User.objects.create_user("op", password="x" * 12)
    return meeting, members, operator, sub


def reload(meeting):
    return Meeting.objects.get(pk=meeting.pk)
