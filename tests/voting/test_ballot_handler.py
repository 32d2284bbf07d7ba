"""The tablet's ballot.cast handler: its acknowledgement (receipt + patch) comes from the group
commit itself; a ballot costs no query of its own (it was one Poll read per ballot, serialised
through the sync thread: ≈ 17 % of the server's CPU in a 3,000-ballot burst)."""

import base64
import re
import threading

import pytest
from channels.db import database_sync_to_async
from django.db.backends.utils import CursorWrapper

from consoles.handlers import voting as handlers
from meeting.errors import ServiceError
from tests.voting.support import Hall
from voting import intake, services, state
from voting.models import Poll

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_delivery(monkeypatch):
    monkeypatch.setattr("meeting.events._deliver", lambda wire: None)


@pytest.fixture
def statements(monkeypatch):
    """Every SQL statement run, in any thread (the intake writes on a worker thread)."""
    seen, lock = [], threading.Lock()
    execute = CursorWrapper._execute

    def recording(self, sql, *args):
        with lock:
            seen.append(sql)
        return execute(self, sql, *args)

    monkeypatch.setattr(CursorWrapper, "_execute", recording)
    return seen


class Sock:
    """What the handler reads of a tablet's socket."""

    def __init__(self, hall, member):
        key = hall.keys[member.id]
        self.meeting_id, self.member_id, self.device_id = hall.meeting.id, member.id, key.device_id
        self.public_key = base64.urlsafe_b64decode(key.public_b64 + "=")


def cast_message(hall, poll, member, choice):
    request = hall.ballot(poll, member, choice)
    return {"type": "ballot.cast", "poll": poll.id, "secret_hash": request.secret_hash, "choice": choice,
            "signature": request.signature}


def hall_with_poll(open_it=True, signed_in=None, **options):
    hall = Hall(deputies=3, signed_in=signed_in)
    poll = services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator, **options)
    if open_it:
        services.open_poll(hall.meeting.id, poll.id, hall.operator)
    return hall, Poll.objects.get(pk=poll.id)


@pytest.mark.parametrize("anonymous", [True, False])
async def test_a_ballot_is_acknowledged_with_its_patch_and_no_query_of_its_own(statements, anonymous):
    hall, poll = await database_sync_to_async(hall_with_poll)(anonymous=anonymous)
    member = hall.deputies[0]
    statements.clear()

    reply = await handlers.ballot_cast(Sock(hall, member), cast_message(hall, poll, member, "for"))

    assert reply["patch"] == state.ballot_patch(poll, "for", reply["receipt"])
    assert reply["patch"]["my_vote"]["voted"] is True
    assert ("choice" in reply["patch"]["my_vote"]) is not anonymous
    poll_reads = [s for s in statements if re.match(r'\s*SELECT .* FROM "voting_poll"', s)]
    assert len(poll_reads) == 1, poll_reads  # the group commit's own, none after it


async def test_a_refused_ballot_is_an_error_reply():
    hall, poll = await database_sync_to_async(hall_with_poll)(open_it=False)
    member = hall.deputies[0]
    with pytest.raises(ServiceError) as refused:
        await handlers.ballot_cast(Sock(hall, member), cast_message(hall, poll, member, "for"))
    assert refused.value.code == "poll_closed"  # prepared, never opened


def test_the_group_commit_reports_what_the_patch_needs():
    hall = Hall(deputies=2)
    poll = services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator, anonymous=False)
    services.open_poll(hall.meeting.id, poll.id, hall.operator)
    facts, [receipt] = intake._record_batch(poll.id, [hall.ballot(poll, hall.deputies[0], "against")])
    assert facts == intake.PollFacts(poll.id, False)
    assert state.ballot_patch(facts, "against", receipt) == state.ballot_patch(
        Poll.objects.get(pk=poll.id), "against", receipt)
    assert intake._record_batch(999999, [hall.ballot(poll, hall.deputies[1], "for", poll_id=999999)])[0] is None
